import type { INodeProperties } from 'n8n-workflow';

import { kindOptions } from '../common';

const show = { resource: ['license'], operation: ['assign', 'unassign'] };

/** How the devices reach the node: a list in the UI, or any list given by expression. */
export const deviceFields: INodeProperties[] = [
	{
		displayName: 'Devices Input',
		name: 'deviceSource',
		type: 'options',
		options: [
			{
				name: 'Devices List in the UI',
				value: 'collection',
				description: 'Add each device and its identifiers one by one',
			},
			{
				name: 'Expression or Text',
				value: 'list',
				description:
					'Many devices at once, for example from a spreadsheet column or a previous node',
			},
		],
		default: 'collection',
		displayOptions: { show },
	},
	{
		displayName: 'Devices',
		name: 'devices',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Device',
		default: {},
		description: 'Each device is identified by one or more IDs, usually its IMEI or its SIM ICCID',
		displayOptions: { show: { ...show, deviceSource: ['collection'] } },
		options: [
			{
				displayName: 'Device',
				name: 'device',
				values: [
					{
						displayName: 'Identifiers',
						name: 'deviceIds',
						type: 'fixedCollection',
						typeOptions: { multipleValues: true },
						placeholder: 'Add Identifier',
						default: { deviceId: [{ kind: 'IMEI', id: '' }] },
						options: [
							{
								displayName: 'Identifier',
								name: 'deviceId',
								values: [
									{
										displayName: 'Kind',
										name: 'kind',
										type: 'options',
										options: kindOptions,
										default: 'IMEI',
										description:
											'IMEI: 15 digits, from the device. ICCID: 19–20 digits, printed on the SIM.',
									},
									{
										displayName: 'ID',
										name: 'id',
										type: 'string',
										default: '',
										placeholder: 'e.g. 356938035641233',
										description:
											'Digits; MEID and ESN may be hexadecimal, MDN and MSISDN may be typed with spaces, dashes or +1',
									},
								],
							},
						],
					},
				],
			},
		],
	},
	{
		displayName: 'Device List',
		name: 'deviceList',
		type: 'string',
		default: '',
		required: true,
		placeholder: '={{ $json.imeis }}',
		description:
			'An array of ID strings, an array of objects with an ID and a kind, an array of ThingSpace device objects (deviceIds), or IDs separated by commas, semicolons or new lines (spaces do not separate). Any number of devices: they are sent in requests of at most 100.',
		hint: 'Accepted: ["356938035641233", …], [{"id": "…", "kind": "ICCID"}, …], [{"deviceIds": [{"id": "…", "kind": "IMEI"}]}, …], or text such as 356938035641233, ICCID:89148000004123456785',
		displayOptions: { show: { ...show, deviceSource: ['list'] } },
		// n8n evaluates the expression once for the item; the operation hook reads it from here.
		routing: { send: { type: 'body', property: 'deviceList' } },
	},
	{
		displayName: 'ID Kind',
		name: 'deviceKind',
		type: 'options',
		options: kindOptions,
		default: 'IMEI',
		description: 'Kind of the IDs in Device List that do not name their own kind',
		displayOptions: { show: { ...show, deviceSource: ['list'] } },
	},
];
