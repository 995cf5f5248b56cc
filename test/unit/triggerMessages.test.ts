import type { IDataObject } from 'n8n-workflow';

import { RecentDeliveries } from '../../nodes/ThingSpaceSimSecureTrigger/deliveries';
import { secretHash } from '../../nodes/ThingSpaceSimSecureTrigger/listener';
import {
	carriesSecret,
	deliveryKey,
	messagesOf,
	passes,
	requestIdList,
	resultFilter,
	toResult,
} from '../../nodes/ThingSpaceSimSecureTrigger/messages';

const REQUEST_ID = '9b2f6c3e-41d7-4a8e-b0f5-2c7d9e1a6f40';
const failed = {
	username: 's3cret',
	password: 's3cret',
	requestId: REQUEST_ID,
	deviceIds: [{ id: '356938035641233', kind: 'Imei' }],
	faultResponse: { faultcode: 'UnifiedWebService.REQUEST_FAILED.DeviceNotFound', faultstring: 'REQUEST_FAILED. Device not found' },
	status: 'FAILED',
	callbackCount: 2,
	maxCallbackThreshold: 4,
};

describe('Trigger messages', () => {
	it('one message becomes one result: kinds upper-cased, status normalised, fault, attempt, and no secret', () => {
		const result = toResult(failed);
		expect(result).toEqual({
			requestId: REQUEST_ID,
			status: 'Failed',
			deviceIds: [{ kind: 'IMEI', id: '356938035641233' }],
			device: { IMEI: '356938035641233' },
			faultCode: 'UnifiedWebService.REQUEST_FAILED.DeviceNotFound',
			faultText: 'REQUEST_FAILED. Device not found',
			attempt: 2,
			maxAttempts: 4,
			deviceResponse: null,
		});
		expect(JSON.stringify(result)).not.toContain('s3cret');
	});

	it('a success keeps the raw deviceResponse and has no fault', () => {
		const result = toResult({
			requestId: REQUEST_ID,
			deviceIds: [
				{ id: '89148000004100000015', kind: 'iccid' },
				{ id: '356938035641233', kind: 'IMEI' },
			],
			deviceResponse: { simSecureResponse: { sku: 'SIMSec-IoT' } },
			status: 'success',
		});
		expect(result).toMatchObject({
			status: 'Success',
			device: { ICCID: '89148000004100000015', IMEI: '356938035641233' },
			faultCode: null,
			faultText: null,
			deviceResponse: { simSecureResponse: { sku: 'SIMSec-IoT' } },
		});
	});

	it('an unknown status without a fault is kept as sent, so no filter mistakes it for a success or a failure', () => {
		const pending: IDataObject = { ...failed, status: 'Pending' };
		delete pending.faultResponse;
		const result = toResult(pending);
		expect(result.status).toBe('Pending');
		expect(passes(result, 'success', [])).toBe(false);
		expect(passes(result, 'failed', [])).toBe(false);
		expect(passes(result, 'all', [])).toBe(true);
	});

	it('a message with a faultResponse is a failure for the filters, whatever its status text', () => {
		for (const status of ['Pending', 'Success', '', undefined]) {
			const result = toResult({ ...failed, status });
			expect(result.status).toBe(status === undefined ? null : status);
			expect(passes(result, 'failed', [])).toBe(true);
			expect(passes(result, 'success', [])).toBe(false);
		}
	});

	it('reads the callback body whatever the content type: parsed JSON, text, a Buffer, or only the raw body', () => {
		const message = { ...failed, status: 'Failed' };
		const text = JSON.stringify(message);
		expect(messagesOf(message)).toEqual([message]);
		expect(messagesOf(text)).toEqual([message]);
		expect(messagesOf(Buffer.from(text))).toEqual([message]);
		// n8n leaves the body empty for a content type it does not parse; the raw body still has it.
		expect(messagesOf({}, Buffer.from(text))).toEqual([message]);
		expect(messagesOf(undefined, text)).toEqual([message]);
		expect(messagesOf('not json')).toEqual([{}]);
	});

	it('the secret must be in both echoed fields (checked against its hash, as kept)', () => {
		const hash = secretHash('s3cret');
		expect(carriesSecret(failed, hash)).toBe(true);
		expect(carriesSecret({ ...failed, password: 'guess' }, hash)).toBe(false);
		expect(carriesSecret({ ...failed, username: '' }, hash)).toBe(false);
		expect(carriesSecret({ ...failed, password: undefined }, hash)).toBe(false);
		expect(carriesSecret({ ...failed, password: 's3cret-and-more' }, hash)).toBe(false);
		// The hash itself is not the secret; a hash that is not one (static data edited by hand) accepts nothing.
		expect(carriesSecret({ ...failed, username: hash, password: hash }, hash)).toBe(false);
		expect(carriesSecret(failed, 's3cret')).toBe(false);
	});

	it('filters on status and on request ids', () => {
		const result = toResult(failed);
		expect(passes(result, 'failed', [])).toBe(true);
		expect(passes(result, 'success', [])).toBe(false);
		expect(passes(result, 'all', ['other-id'])).toBe(false);
		expect(passes(result, 'all', ['other-id', REQUEST_ID])).toBe(true);
	});

	it('request ids can be typed as a list or given as an array', () => {
		expect(requestIdList(' a, b\nc ;d ')).toEqual(['a', 'b', 'c', 'd']);
		expect(requestIdList(['a', ' b '])).toEqual(['a', 'b']);
		expect(requestIdList('')).toEqual([]);
		// An array that came as JSON text (a sheet cell, a webhook field).
		expect(requestIdList(' ["a", "b"] ')).toEqual(['a', 'b']);
		expect(requestIdList('["a", "b"')).toEqual(['a', 'b']);
	});

	it('Results is read as the user meant it, and refused when it is none of the three', () => {
		expect(resultFilter('Failed')).toBe('failed');
		expect(resultFilter(' SUCCESS ')).toBe('success');
		expect(resultFilter('')).toBe('all');
		expect(resultFilter(undefined)).toBe('all');
		for (const value of ['failures', 'true', 1, ['failed']])
			expect(() => resultFilter(value)).toThrow(/^Results must be "all", "success" or "failed", not /);
	});

	it('a POST holds one message, or several when ThingSpace sends an array', () => {
		expect(messagesOf(failed)).toEqual([failed]);
		expect(messagesOf([failed, failed])).toHaveLength(2);
		expect(messagesOf('not json')).toEqual([{}]);
	});

	it("a retry of the same message has the same key, whatever its attempt count or kind's case; another status does not", () => {
		const first = deliveryKey(toResult(failed));
		expect(deliveryKey(toResult({ ...failed, callbackCount: 3, deviceIds: [{ id: '356938035641233', kind: 'IMEI' }] }))).toBe(first);
		expect(deliveryKey(toResult({ ...failed, status: 'Success' }))).not.toBe(first);
		expect(deliveryKey(toResult({ ...failed, requestId: 'another' }))).not.toBe(first);
	});
});

describe('Trigger dedupe memory', () => {
	it('a key is new once within the window, and new again after it', () => {
		const deliveries = new RecentDeliveries(1000, 10);
		expect(deliveries.firstTime('a', 0)).toBe(true);
		expect(deliveries.firstTime('a', 999)).toBe(false);
		expect(deliveries.firstTime('a', 1000)).toBe(true);
	});

	it('holds at most its size, dropping the oldest keys first', () => {
		const deliveries = new RecentDeliveries(60_000, 3);
		for (const key of ['a', 'b', 'c', 'd']) deliveries.firstTime(key, 0);
		expect(deliveries.size).toBe(3);
		expect(deliveries.firstTime('d', 1)).toBe(false);
		expect(deliveries.firstTime('a', 1)).toBe(true);
	});

	it('forgets expired keys as time passes', () => {
		const deliveries = new RecentDeliveries(1000, 100);
		for (let i = 0; i < 50; i++) deliveries.firstTime(`k${i}`, 0);
		deliveries.firstTime('late', 5000);
		expect(deliveries.size).toBe(1);
	});
});
