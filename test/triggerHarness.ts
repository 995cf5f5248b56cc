/**
 * Runs the trigger's webhook lifecycle (checkExists → create on activation, delete on deactivation)
 * through n8n-core's real HookContext, in the order n8n's WebhookService calls it, against the
 * simulator. The static data survives between calls, as n8n saves it after activation.
 */
import { HookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INode,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { additionalDataFor, CREDENTIAL, TestCredentialsHelper, TestNodeTypes, TRIGGER_TYPE } from './harness';

export const WEBHOOK_ID = '5d0a3f6e-4b1c-4f8e-9a2d-7c6b5e4d3c2b';

type Method = 'checkExists' | 'create' | 'delete';

export class TriggerHarness {
	readonly credentials: TestCredentialsHelper;

	/** The workflow's static data, as n8n stores it between activation and deactivation. */
	staticData: IDataObject = {};

	private readonly nodeTypes = new TestNodeTypes();

	/** @param webhookBase n8n's WEBHOOK_URL plus its webhook endpoint, e.g. https://n8n.example.com/webhook */
	constructor(
		credentialData: ICredentialDataDecryptedObject,
		private readonly webhookBase = 'https://n8n.example.com/webhook',
	) {
		this.credentials = new TestCredentialsHelper(credentialData);
	}

	/** The production URL ThingSpace is given for this trigger. */
	get webhookUrl(): string {
		return `${this.webhookBase}/${WEBHOOK_ID}/webhook`;
	}

	/** Activation as n8n does it: checkExists, then create when that says no. */
	async activate(parameters: IDataObject = {}): Promise<void> {
		if (!(await this.call('checkExists', parameters))) await this.call('create', parameters);
	}

	async deactivate(parameters: IDataObject = {}): Promise<void> {
		await this.call('delete', parameters);
	}

	async call(method: Method, parameters: IDataObject = {}, mode: WorkflowExecuteMode = 'trigger'): Promise<boolean> {
		const node: INode = {
			id: 'trigger-1',
			name: 'ThingSpace SIM-Secure Trigger',
			type: TRIGGER_TYPE,
			typeVersion: 1,
			position: [0, 0],
			webhookId: WEBHOOK_ID,
			parameters: parameters as INode['parameters'],
			credentials: { thingSpaceApi: CREDENTIAL },
		};
		const workflow = new Workflow({
			id: 'wf-trigger',
			nodes: [node],
			connections: {},
			active: true,
			nodeTypes: this.nodeTypes,
			staticData: structuredClone(this.staticData),
		});
		const additionalData = additionalDataFor(this.credentials, {
			webhookBaseUrl: this.webhookBase,
			webhookTestBaseUrl: this.webhookBase.replace(/\/webhook$/, '/webhook-test'),
		});
		const context = new HookContext(workflow, node, additionalData, mode, 'activate');
		const lifecycle = this.nodeTypes.getByName(TRIGGER_TYPE).webhookMethods?.default;
		if (!lifecycle?.[method]) throw new Error(`the trigger has no ${method} method`);
		try {
			return await lifecycle[method].call(context);
		} finally {
			// Keep whatever the call left, so a test can check that a failed activation left nothing.
			this.staticData = JSON.parse(JSON.stringify(workflow.staticData)) as IDataObject;
		}
	}

	/** What the trigger keeps in static data. */
	get state(): IDataObject {
		return (this.staticData[`node:ThingSpace SIM-Secure Trigger`] ?? {}) as IDataObject;
	}
}
