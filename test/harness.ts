/**
 * Runs the node through n8n's real engine (n8n-core WorkflowExecute → RoutingNode → request helpers),
 * over HTTP to the ThingSpace simulator. The only stand-in is the credential store, which in n8n
 * lives in the CLI package: TestCredentialsHelper follows CredentialsHelper from packages/cli
 * (getDecrypted reads the store afresh, preAuthentication fills the expirable field and persists: on n8n 1.x
 * all the data it was given, on 2.x only the keys returned).
 */
import { DirectoryLoader, ExecuteContext, ExecutionLifecycleHooks, RoutingNode, WorkflowExecute } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRun,
	IRunExecutionData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { ICredentialsHelper, Workflow } from 'n8n-workflow';

import { ThingSpaceApi } from '../credentials/ThingSpaceApi.credentials';
import { useClock as useModuleClock, type Clock } from '../nodes/shared/clock';
import { resetPacers } from '../nodes/shared/pacer';
import { resetSessionCache } from '../nodes/shared/sessionLease';
import { ThingSpaceSimSecure } from '../nodes/ThingSpaceSimSecure/ThingSpaceSimSecure.node';
import { ThingSpaceSimSecureTrigger } from '../nodes/ThingSpaceSimSecureTrigger/ThingSpaceSimSecureTrigger.node';
import type { Simulator } from './simulator/thingspace-simulator';

export const NODE_TYPE = 'n8n-nodes-thingspace-sim-secure.thingSpaceSimSecure';
export const TRIGGER_TYPE = 'n8n-nodes-thingspace-sim-secure.thingSpaceSimSecureTrigger';
export const CREDENTIAL = { id: 'cred-1', name: 'ThingSpace (simulator)' };
let executions = 0;

export class TestNodeTypes implements INodeTypes {
	private readonly types: Record<string, INodeType>;

	constructor(node: INodeType = new ThingSpaceSimSecure()) {
		// The loader adds the "requestOptions" collection to declarative nodes; without it n8n drops batching/timeout.
		DirectoryLoader.applyDeclarativeNodeOptionParameters(node);
		// n8n offers the node to its AI Agent as "<type>Tool" (usableAsTool): the same node under that name.
		this.types = { [NODE_TYPE]: node, [`${NODE_TYPE}Tool`]: node, [TRIGGER_TYPE]: new ThingSpaceSimSecureTrigger() };
	}

	getByName(name: string) {
		return this.types[name];
	}

	getByNameAndVersion(name: string) {
		return this.types[name];
	}

	getKnownTypes() {
		return {};
	}
}

/** Set per jest project (jest.config.js `globals`). */
declare const n8nMajor: number | undefined;

/** The n8n major version this jest project runs. */
export const N8N_MAJOR = typeof n8nMajor === 'number' ? n8nMajor : 2;

/** n8n 2.x stores only the keys preAuthentication returned, and keeps a field stored as an expression (`={{…}}`). */
function persistedBy2x(stored: ICredentialDataDecryptedObject, output: IDataObject, expirable: string): ICredentialDataDecryptedObject {
	const data = { ...stored };
	for (const [key, value] of Object.entries(output)) {
		if (key === expirable || !String(stored[key] ?? '').startsWith('=')) data[key] = value as ICredentialDataDecryptedObject[string];
	}
	return data;
}

export class TestCredentialsHelper extends ICredentialsHelper {
	readonly credentialType = new ThingSpaceApi();

	/** n8n's database row for the credential (decrypted); the harnesses of one instance's processes share it. */
	store: { data: ICredentialDataDecryptedObject };

	get stored(): ICredentialDataDecryptedObject {
		return this.store.data;
	}

	set stored(data: ICredentialDataDecryptedObject) {
		this.store.data = data;
	}

	constructor(data: ICredentialDataDecryptedObject) {
		super();
		this.store = { data: { ...data } };
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	/** As n8n's CredentialsHelper: a credential's authenticate function gets the decrypted data and the request. */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		_typeName: string,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return await this.credentialType.authenticate(credentials, requestOptions);
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		_typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const expirable = this.credentialType.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (!expirable) return undefined;
		const testing = node?.parameters?.temp === '' && node?.type === 'n8n-nodes-base.noOp';
		if (credentials[expirable.name] !== '' && !credentialsExpired && !testing) return undefined;
		const output = await this.credentialType.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined) return undefined;
		if (node.credentials) {
			await this.beforeWrite?.(output as ICredentialDataDecryptedObject);
			this.stored = N8N_MAJOR === 1 ? ({ ...credentials, ...output } as ICredentialDataDecryptedObject) : persistedBy2x(this.stored, output, expirable.name);
			return Object.assign(credentials, output);
		}
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	/** Called with what preAuthentication returned before it is stored: a test makes one process's write land late. */
	beforeWrite?: (output: ICredentialDataDecryptedObject) => Promise<void>;

	/** Called with each read's copy before it is handed over: a test slows one process's reads (a busy process, a slow database). */
	afterRead?: (data: ICredentialDataDecryptedObject) => Promise<void>;

	async getDecrypted(): Promise<ICredentialDataDecryptedObject> {
		const data = { ...this.stored };
		await this.afterRead?.(data);
		return data;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by these tests');
	}

	async updateCredentials(
		_details: INodeCredentialsDetails,
		_type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.stored = { ...data };
	}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(): INodeProperties[] {
		return this.credentialType.properties;
	}
}

export function simulatorCredentials(sim: Simulator, extra: IDataObject = {}): ICredentialDataDecryptedObject {
	return {
		environment: 'custom',
		baseUrl: sim.url,
		appKey: 'demo-app-key',
		appSecret: 'demo-app-secret',
		username: 'demo-uws-user',
		password: 'demo-uws-password',
		accountName: '0000123456-00001',
		sessionToken: '',
		accessToken: '',
		...extra,
	};
}

/** n8n's node settings: Continue On Fail, On Error, Retry On Fail. */
export interface NodeSettings {
	continueOnFail?: boolean;
	onError?: INode['onError'];
	retryOnFail?: boolean;
	executeOnce?: boolean;
	maxTries?: number;
	waitBetweenTries?: number;
	/** Run as the AI Agent's tool variant of the node. */
	asTool?: boolean;
}

export interface RunResult {
	/** Output items of the main output (the error output, when onError routes there, is `errorItems`). */
	items: INodeExecutionData[];
	errorItems: INodeExecutionData[];
	/** The error that stopped the node, if any. */
	error?: Error & { description?: string; httpCode?: string | null; context?: IDataObject };
	run: IRun;
}

export class Harness {
	readonly credentials: TestCredentialsHelper;

	private readonly nodeTypes: TestNodeTypes;

	/** `node` replaces the action node (the benchmark's engine-floor node). */
	constructor(credentialData: ICredentialDataDecryptedObject, node?: INodeType) {
		this.credentials = new TestCredentialsHelper(credentialData);
		this.nodeTypes = new TestNodeTypes(node);
	}

	/** This process's clock (each process of an instance has its own); without an argument, the system clock. */
	useClock(clock?: Clock): void {
		useModuleClock(clock);
	}

	/** Runs the node once on these input items, like a manual execution in the editor. */
	async run(
		parameters: IDataObject,
		items: INodeExecutionData[] = [{ json: {} }],
		settings: NodeSettings = {},
	): Promise<RunResult> {
		const { asTool, ...nodeSettings } = settings;
		const node: INode = {
			id: 'node-1',
			name: 'ThingSpace SIM-Secure',
			type: asTool ? `${NODE_TYPE}Tool` : NODE_TYPE,
			typeVersion: 1,
			position: [0, 0],
			parameters: parameters as INode['parameters'],
			credentials: { thingSpaceApi: CREDENTIAL },
			...nodeSettings,
		};
		const workflowData: IWorkflowBase = {
			id: 'wf-1',
			name: 'test',
			active: false,
			isArchived: false,
			nodes: [node],
			connections: {},
			settings: {},
			createdAt: new Date(),
			updatedAt: new Date(),
		} as unknown as IWorkflowBase;
		const workflow = new Workflow({
			id: workflowData.id,
			nodes: [node],
			connections: {},
			active: false,
			nodeTypes: this.nodeTypes,
		});
		const mode: WorkflowExecuteMode = 'manual';
		const executionId = String(++executions);
		const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData);
		const additionalData = additionalDataFor(this.credentials, { executionId, hooks, currentNodeExecutionIndex: 0 });
		const runExecutionData = {
			startData: {},
			resultData: { runData: {} },
			executionData: {
				contextData: {},
				metadata: {},
				nodeExecutionStack: [
					{ node: workflow.getNode(node.name) as INode, data: { main: [items] }, source: null },
				],
				waitingExecution: {},
				waitingExecutionSource: null,
			},
		} as unknown as IRunExecutionData;

		const run = await new WorkflowExecute(additionalData, mode, runExecutionData).processRunExecutionData(workflow);
		const task = run.data.resultData.runData[node.name]?.[0];
		const outputs = task?.data?.main ?? [];
		return {
			items: (outputs[0] ?? []) as INodeExecutionData[],
			errorItems: (outputs[1] ?? []) as INodeExecutionData[],
			error: (task?.error ?? run.data.resultData.error) as RunResult['error'],
			run,
		};
	}
}

/** What the CLI hands n8n-core for a run: the credential store, and empty URLs unless given. */
export function additionalDataFor(
	credentialsHelper: ICredentialsHelper,
	extra: Record<string, unknown> = {},
): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper,
		variables: {},
		restApiUrl: '',
		instanceBaseUrl: '',
		formBaseUrl: '',
		formWaitingBaseUrl: '',
		formTestBaseUrl: '',
		webhookBaseUrl: '',
		webhookWaitingBaseUrl: '',
		webhookTestBaseUrl: '',
		mcpBaseUrl: '',
		mcpTestBaseUrl: '',
		userId: 'user-1',
		logAiEvent: () => {},
		...extra,
	} as unknown as IWorkflowExecuteAdditionalData;
}

/** A fresh process-wide login cache and pace, as after an n8n restart. */
export function freshProcess(): void {
	resetSessionCache();
	resetPacers();
}

/**
 * The credential's Test button, as n8n's CredentialsTester runs it: a temporary node whose only
 * property routes the credential's test request, run by RoutingNode with the form's data.
 */
export async function testCredential(
	helper: TestCredentialsHelper,
	data: ICredentialDataDecryptedObject,
): Promise<{ status: 'OK' | 'Error'; message: string }> {
	const credentialType = helper.credentialType;
	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [0, 0],
		credentials: { [credentialType.name]: CREDENTIAL },
	};
	const nodeType: INodeType = {
		description: {
			displayName: 'No Operation',
			name: 'n8n-nodes-base.noOp',
			group: ['organization'],
			version: 1,
			description: '',
			defaults: {},
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: credentialType.name, required: true }],
			properties: [
				{ displayName: 'Temp', name: 'temp', type: 'string', routing: { request: credentialType.test.request }, default: '' },
			],
		} as INodeType['description'],
	};
	const workflow = new Workflow({
		nodes: [node],
		connections: {},
		active: false,
		nodeTypes: { getByName: () => nodeType, getByNameAndVersion: () => nodeType, getKnownTypes: () => ({}) },
	});
	const additionalData = additionalDataFor(helper);
	const inputData = { main: [[{ json: {} }]] };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		{ resultData: { runData: {} } } as unknown as IRunExecutionData,
		0,
		[],
		inputData,
		{ node, data: {}, source: null },
		[],
	);
	try {
		await new RoutingNode(context, nodeType, { id: CREDENTIAL.id, name: CREDENTIAL.name, type: credentialType.name, data }).runNode();
	} catch (error) {
		const failed = error as { message: string; cause?: { response?: { status: number; statusText?: string }; code?: string } };
		if (failed.cause?.response) {
			return { status: 'Error', message: failed.cause.response.statusText || `Received HTTP status code: ${failed.cause.response.status}` };
		}
		if (failed.cause?.code) return { status: 'Error', message: failed.cause.code };
		return { status: 'Error', message: failed.message };
	}
	return { status: 'OK', message: 'Connection successful!' };
}
