import { newTransactionId, transactionIdProblem, transactionIds } from '../../nodes/ThingSpaceSimSecure/helpers/transactionId';

describe('transactionId: X-Request-ID', () => {
	it('generates ids in the documented pattern, unique across many calls', () => {
		const ids = Array.from({ length: 5000 }, newTransactionId);
		for (const id of ids) expect(transactionIdProblem(id)).toBeUndefined();
		expect(new Set(ids).size).toBe(ids.length);
	});

	it('accepts the documented pattern only, up to 32 characters', () => {
		expect(transactionIdProblem('1-20250114001')).toBeUndefined();
		expect(transactionIdProblem('1-12')).toMatch(/does not match/);
		expect(transactionIdProblem('12-345')).toMatch(/does not match/);
		expect(transactionIdProblem(`1-${'9'.repeat(31)}`)).toMatch(/32 characters at most/);
	});

	it('numbers a given id per request when there are several', () => {
		expect(transactionIds('1-777', 1)).toEqual(['1-777']);
		expect(transactionIds('1-777', 2)).toEqual(['1-777001', '1-777002']);
		expect(transactionIds('1-777', 1000)[999]).toBe('1-7771000');
		expect(transactionIds('', 3)).toHaveLength(3);
	});
});
