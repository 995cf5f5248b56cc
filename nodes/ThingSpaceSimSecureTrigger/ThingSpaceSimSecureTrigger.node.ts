import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { accountNameProperty, nodeBase } from '../shared/descriptions';
import { booleanValue, readForNode } from '../shared/parameterValues';
import { deliveriesOf } from './deliveries';
import {
	PORT_RULE,
	SERVICE_NAME,
	accountOf,
	checkListenerPort,
	deregisterListener,
	expectedSecretHash,
	findListener,
	isOurs,
	listenerState,
	newSecret,
	secretHash,
	refuseToReplace,
	registerListener,
	userSecret,
} from './listener';
import {
	carriesSecret,
	deliveryKey,
	messagesOf,
	passes,
	requestIdList,
	resultFilter,
	toResult,
	type ResultFilter,
} from './messages';

export class ThingSpaceSimSecureTrigger implements INodeType {
	description: INodeTypeDescription = {
		...nodeBase,
		group: ['trigger'],
		displayName: 'ThingSpace SIM-Secure Trigger',
		name: 'thingSpaceSimSecureTrigger',
		icon: {
			light: 'file:../ThingSpaceSimSecure/thingspace.svg',
			dark: 'file:../ThingSpaceSimSecure/thingspace.dark.svg',
		},
		subtitle:
			'={{ { all: "All results", success: "Successes", failed: "Failures" }[$parameter["results"]] }}',
		description:
			'Starts the workflow when ThingSpace reports whether a SIM got or lost its SIM-Secure license (one CarrierService callback per device)',
		defaults: { name: 'ThingSpace SIM-Secure Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		webhooks: [
			{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'webhook' },
		],
		triggerPanel: {
			header: 'Waiting for ThingSpace to report a SIM-Secure result',
			executionsHelp: {
				inactive:
					"<b>While building your workflow</b>, click 'Listen for test event': the test URL becomes the account's CarrierService listener until the test ends, so run an Assign or Unassign then. <br /><br /><b>Once you're happy with it</b>, activate the workflow: its production URL becomes the listener, and every per-device result starts an execution.",
				active:
					"This workflow is active, so the account's CarrierService listener is its production URL and every per-device result starts an execution. <br /><br />To test with the test URL, deactivate the workflow first: ThingSpace keeps one listener per account.",
			},
			activationHint:
				"Once you've finished building your workflow, activate it to receive every SIM-Secure result of the account.",
		},
		properties: [
			{
				displayName: `ThingSpace delivers callbacks only to ports ${PORT_RULE} of a public address, and only from Verizon's published IP addresses. n8n's default port 5678 is not one of them: serve webhooks through a reverse proxy on 443 and set WEBHOOK_URL. Activating this workflow registers its URL as the account's ${SERVICE_NAME} listener.`,
				name: 'portNotice',
				type: 'notice',
				default: '',
			},
			{
				...accountNameProperty,
				description:
					"Billing account whose callbacks start this workflow, with its leading zeros. Leave empty to use the credential's Default Account Name.",
			},
			{
				displayName: 'Results',
				name: 'results',
				type: 'options',
				options: [
					{ name: 'All', value: 'all', description: 'Every per-device result' },
					{
						name: 'Success Only',
						value: 'success',
						description: 'Devices whose license was assigned or removed',
					},
					{
						name: 'Failed Only',
						value: 'failed',
						description: 'Devices that ThingSpace could not license or unlicense',
					},
				],
				default: 'all',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Only Request IDs',
						name: 'requestIds',
						type: 'string',
						default: '',
						placeholder: 'e.g. 9b2f6c3e-41d7-4a8e-b0f5-2c7d9e1a6f40',
						description:
							'Start only for these requestIds (as returned by Assign or Unassign), separated by commas or new lines',
					},
					{
						displayName: 'Replace Existing Listener',
						name: 'replaceExistingListener',
						type: 'boolean',
						default: false,
						description: `Whether to take over the account's ${SERVICE_NAME} listener when it points somewhere else. ThingSpace keeps one per account, so the other listener stops receiving results.`,
					},
					{
						displayName: 'Secret',
						name: 'secret',
						type: 'string',
						typeOptions: { password: true },
						default: '',
						description:
							'Shared secret that ThingSpace echoes in every message; messages without it are refused. Leave empty to let n8n generate one when the workflow is activated.',
					},
				],
			},
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				// n8n calls this at every activation (also after a restart), and create only when it answers false.
				readForNode(this.getNode(), () => resultFilter(this.getNodeParameter('results', 'all')));
				const url = this.getNodeWebhookUrl('default') as string;
				const hash = expectedSecretHash(userSecret(this), listenerState(this));
				return isOurs(await findListener(this, await accountOf(this)), url, hash);
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const url = this.getNodeWebhookUrl('default') as string;
				checkListenerPort(this, url);
				const accountName = await accountOf(this);
				const current = await findListener(this, accountName);
				const replace = readForNode(this.getNode(), () =>
					booleanValue(
						'Replace Existing Listener',
						this.getNodeParameter('options.replaceExistingListener', false),
						false,
					),
				);
				if (current?.url && current.url !== url && !replace)
					throw refuseToReplace(this, accountName, current.url);

				const state = listenerState(this);
				const given = userSecret(this);
				const secret = given || newSecret();
				await registerListener(this, accountName, url, secret);
				// Kept only once ThingSpace took it (a failed activation leaves no trace), and only as its hash.
				if (given) delete state.secretHash;
				else state.secretHash = secretHash(secret);
				state.listenerUrl = url;
				state.accountName = accountName;
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const state = listenerState(this);
				const url = this.getNodeWebhookUrl('default') as string;
				const accountName = state.accountName ?? (await accountOf(this));
				const current = await findListener(this, accountName);
				// Someone else's listener by now: theirs to keep.
				if (current?.url === url) await deregisterListener(this, accountName);
				delete state.listenerUrl;
				delete state.accountName;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const hash = expectedSecretHash(userSecret(this), this.getWorkflowStaticData('node'));
		// Read whatever the content type: ThingSpace does not document it (JSON, text or none).
		const messages = messagesOf(
			this.getBodyData(),
			(this.getRequestObject() as { rawBody?: unknown }).rawBody,
		);
		if (
			!hash ||
			messages.length === 0 ||
			!messages.every((message) => carriesSecret(message, hash))
		) {
			this.getResponseObject().status(401).json({
				message: 'Unauthorized: the message does not carry the secret registered for this listener',
			});
			return { noWebhookResponse: true };
		}

		const filter = deliveredFilter(this);
		const requestIds = requestIdList(this.getNodeParameter('options.requestIds', ''));
		const deliveries = deliveriesOf(this.getWorkflow().id ?? '', this.getNode().id);
		const results = messages
			.map(toResult)
			.filter(
				(result) => passes(result, filter, requestIds) && deliveries.firstTime(deliveryKey(result)),
			);
		if (results.length === 0) {
			// Acknowledged all the same: ThingSpace resends what is not answered with a 2xx.
			return { webhookResponse: { received: messages.length, started: 0 } };
		}
		return { workflowData: [this.helpers.returnJsonArray(results as IDataObject[])] };
	}
}

/**
 * Results at a delivery. Activation refused a value it could not read; one that changed since (an expression
 * over $vars) must not cost ThingSpace's results, which it archives after a few refused deliveries: every
 * result goes through, and n8n's log says why.
 */
function deliveredFilter(context: IWebhookFunctions): ResultFilter {
	try {
		return resultFilter(context.getNodeParameter('results', 'all'));
	} catch (error) {
		context.logger.warn(
			`ThingSpace SIM-Secure Trigger: ${(error as Error).message}; every result is passed on`,
		);
		return 'all';
	}
}
