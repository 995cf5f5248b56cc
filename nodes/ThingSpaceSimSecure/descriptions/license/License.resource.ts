import type { INodeProperties } from 'n8n-workflow';

import { PATHS } from '../../../shared/policy';
import { sendLicenseRequests } from '../../helpers/licenseRun';
import { accountNameField, operationField, operationRouting, skuField } from '../common';
import { deviceFields } from './deviceFields';

/*
 * Where things are:
 * - an SKU, a limit, a path, the 429 and 5xx numbers: nodes/shared/policy.ts (+ skus.json); how a 429 or
 *   5xx is waited for: nodes/shared/client.ts; the pace of licensing calls: nodes/shared/pacer.ts (how
 *   many in flight: inFlight.ts);
 * - an operation: its properties and routing in descriptions/<resource>/, its hook in helpers/;
 * - device parsing: helpers/deviceInput.ts (the forms a user gives), helpers/deviceChecks.ts (each ID kind's
 *   rule), helpers/deviceIdentity.ts (when two devices are the same);
 * - the error a status becomes: nodes/shared/errors.ts; secrets kept out of text: nodes/shared/redaction.ts;
 * - logging in: nodes/shared/login.ts (the calls), loginRecord.ts (who may), preAuthentication.ts, sessionLease.ts.
 *
 * Why the operations run through a routing pagination hook: the node is declarative by design (n8n's
 * routing engine builds each item's request from these properties; there is no execute()). The hook
 * (helpers/licenseRun.ts) is where the items of a run meet (helpers/itemJoin.ts, the one place that knows
 * how the engine hands them over): they are checked together, planned into requests of up to 100 devices
 * (helpers/licensePlan.ts), and sent through the one ThingSpace client (nodes/shared/client.ts).
 */

const showAssign = { resource: ['license'], operation: ['assign'] };
const showUnassign = { resource: ['license'], operation: ['unassign'] };
const showBoth = { resource: ['license'], operation: ['assign', 'unassign'] };

const licenseRouting = (method: 'POST' | 'DELETE') =>
	operationRouting(method, PATHS.license, sendLicenseRequests);

export const licenseOperations: INodeProperties[] = [
	operationField(
		'license',
		[
			{
				name: 'Assign',
				value: 'assign',
				action: 'Assign sim secure license to devices',
				description:
					'Give SIMs a SIM-Secure for IoT license. ThingSpace answers with a request ID; each device result follows by callback.',
				routing: licenseRouting('POST'),
			},
			{
				name: 'Unassign',
				value: 'unassign',
				action: 'Unassign flexible sim secure license from devices',
				description:
					'Remove a Flex, Flex Bundle or Intelligence bundle license. Lifetime licenses cannot be removed.',
				routing: licenseRouting('DELETE'),
			},
		],
		'assign',
	),
];

export const licenseFields: INodeProperties[] = [
	accountNameField(showBoth),
	skuField(showAssign, false, 'License type to assign. One SKU per request.'),
	skuField(showUnassign, true, 'License type to remove. Only flexible licenses can be unassigned.'),
	{
		displayName:
			'Lifetime licenses cannot be removed once assigned. Run the workflow once with Dry Run (under Options) to check the devices and the planned requests, then switch it off.',
		name: 'lifetimeNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { ...showAssign, skuNumber: ['SIMSec-IoT-Lt'] } },
	},
	...deviceFields,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: showBoth },
		options: [
			{
				displayName: 'Check Availability First',
				name: 'checkAvailability',
				type: 'boolean',
				default: false,
				displayOptions: { show: { '/operation': ['assign'] } },
				description:
					'Whether to read the license counts before the first licensing request of the run, and send nothing when a SKU has fewer licenses available than the run has devices',
			},
			{
				displayName: 'Combine Items',
				name: 'combineItems',
				type: 'boolean',
				default: true,
				description:
					'Whether items of this run that go to the same account and SKU share requests of up to 100 devices. A device named by several items goes out once. Each item still gets its own output item with the requests that carried its devices. Items with a Transaction ID are never combined.',
			},
			{
				displayName: 'Dry Run',
				name: 'dryRun',
				type: 'boolean',
				default: false,
				description:
					'Whether to read, check, combine and plan everything as for a real run, and send nothing. Each item shows its planned requests and every device that would be refused, and why.',
			},
			{
				displayName: 'Max Requests at Once',
				name: 'maxConcurrentRequests',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					"At most this many licensing requests of this node run in flight at the same time. 0: the node decides, from ThingSpace's answer times and rate. With 1, a failed request stops every later device of its items; with more, requests already under way still complete.",
			},
			{
				displayName: 'Max Requests per Second',
				name: 'maxRequestsPerSecond',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description:
					"ThingSpace's rate limit for licensing calls, if your contract states it. 0 learns it: after ThingSpace first answers 429, the node keeps under the rate it observed, for this and later runs of the credential.",
			},
			{
				displayName: 'Retry on Server Errors',
				name: 'retryServerErrors',
				type: 'boolean',
				default: false,
				description:
					'Whether to send a request again (up to 2 more times) after a 5xx answer or a lost connection. ThingSpace may already have applied it, so a device could be licensed by both attempts; off by default.',
			},
			{
				displayName: 'Transaction ID',
				name: 'transactionId',
				type: 'string',
				default: '',
				placeholder: 'e.g. 1-20250114001',
				description:
					'Sent as X-Request-ID: a digit, a hyphen, then digits, 32 characters at most. Left empty, a unique one is generated for each request. With several requests, each gets this ID followed by its number.',
			},
			{
				displayName: 'Verify Check Digits',
				name: 'verifyCheckDigits',
				type: 'boolean',
				default: true,
				description:
					'Whether to refuse IMEIs and ICCIDs whose last digit is not a valid Luhn check digit. The other checks (digits only, length, kind, duplicates) always run.',
			},
		],
	},
];
