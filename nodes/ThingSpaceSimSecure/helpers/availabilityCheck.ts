import type { IDataObject, IExecutePaginationFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { thingSpaceRequest } from '../../shared/client';
import { thingSpaceError } from '../../shared/errors';
import { quoted } from '../../shared/parameterValues';
import { PATHS } from '../../shared/policy';
import type { PlannedRequest } from './licensePlan';

/**
 * Check Availability First: one License Counts call per account before the first licensing request;
 * when a SKU has fewer licenses available than the run's devices of that SKU, nothing is sent.
 */
export async function checkAvailability(
	context: IExecutePaginationFunctions,
	planned: PlannedRequest[],
	baseURL: string,
): Promise<Error | undefined> {
	const wanted = new Map<string, { accountName: unknown; bySku: Map<string, number> }>();
	// Any item that asks has the run checked: a group's first item may not ask for it.
	const asked = planned.some(({ shares }) =>
		shares.some(({ items }) => items.some((item) => item.request.checkAvailability)),
	);
	if (!asked) return undefined;
	for (const { lead, shares } of planned) {
		const { request } = lead;
		if (request.dryRun || request.operation !== 'assign') continue;
		const key = String(request.body.accountName ?? '');
		const account = wanted.get(key) ?? {
			accountName: request.body.accountName,
			bySku: new Map<string, number>(),
		};
		const sku = String(request.body.skuNumber);
		account.bySku.set(sku, (account.bySku.get(sku) ?? 0) + shares.length);
		wanted.set(key, account);
	}
	const short: string[] = [];
	for (const { accountName, bySku } of wanted.values()) {
		const outcome = await thingSpaceRequest(
			context,
			{
				baseURL,
				url: PATHS.licenseCounts,
				method: 'POST',
				headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
				body: accountName ? { accountName } : {},
			},
			{ result: 'subscriptionList' },
		);
		if (outcome.failure) {
			return thingSpaceError(
				context.getNode(),
				outcome.failure,
				0,
				'Check Availability First could not read the license counts, so no licensing request was sent.',
			);
		}
		const list = outcome.body.subscriptionList;
		if (!Array.isArray(list)) {
			return new NodeOperationError(
				context.getNode(),
				`Check Availability First could not read the license counts: subscriptionList was ${typeof list}, not a list`,
				{
					description:
						'ThingSpace answered License Counts without a list of SKUs, so no licensing request was sent. Run Get License Counts to see the answer, or turn the option off.',
					itemIndex: 0,
				},
			);
		}
		for (const [sku, asked] of bySku) {
			const entry = (list as IDataObject[]).find((subscription) => subscription?.skuNumber === sku);
			// A SKU the account does not list has none available; a count that is not a number is no count at all.
			const available = entry === undefined ? 0 : licenseCount(entry.licenseAvailable);
			if (available === undefined) {
				return new NodeOperationError(
					context.getNode(),
					`Check Availability First could not read the license count of ${sku}: licenseAvailable was ${quoted(entry?.licenseAvailable)}`,
					{
						description:
							'ThingSpace answered License Counts without a number of available licenses, so no licensing request was sent. Run Get License Counts to see the answer, or turn the option off.',
						itemIndex: 0,
					},
				);
			}
			if (available < asked) short.push(`${sku}: ${available} available, ${asked} asked for`);
		}
	}
	if (short.length === 0) return undefined;
	return new NodeOperationError(
		context.getNode(),
		`Not enough SIM-Secure licenses: ${short.join('; ')}`,
		{
			description:
				'Check Availability First compared the license counts with the devices of this run, so nothing was sent. Buy more licenses, send fewer devices, or turn the option off to license as many as ThingSpace accepts (the rest then fail one by one in the callbacks).',
			itemIndex: 0,
		},
	);
}

/** A whole number of licenses (a number, or digits as text), or undefined. */
function licenseCount(value: unknown): number | undefined {
	if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
	return typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}
