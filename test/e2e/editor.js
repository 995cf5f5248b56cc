#!/usr/bin/env node
// `npm run test:editor`: opens the n8n editor (real n8n 1.x, this package installed) in headless Chromium and
// checks that the node's operations, device collection and SKU list render, and that the credential form shows
// its fields. Screenshots go to .e2e-screenshots/ for people to look at. Needs Debian's chromium (/usr/bin/chromium).
const assert = require('assert/strict');
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { chromium } = require('playwright-core');
const { NODE_TYPE, ROOT, TARGETS, freePort, installInto, installN8n, log, n8nEnv, nodeBin, packPackage, simulatorCredential } = require('./n8n');
const { forkSimulator } = require('../simulator/fork');
const { isReady, setUpOwner, waitFor } = require('./n8nServer');

const SHOTS = path.join(ROOT, '.e2e-screenshots');
const SKUS = require('../../nodes/shared/skus.json');
const SKU_NAMES = SKUS.filter((sku) => sku.value !== 'SIMSec-IoT').map((sku) => sku.name);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Opens a workflow and double-clicks its node, whose box sits above its label on the canvas. The canvas may
 * still be placing the node when the label appears, so a double-click that opens no panel is tried again.
 */
async function openNode(page, url, label) {
	await page.goto(url);
	const text = page.getByText(label, { exact: true }).first();
	await text.waitFor({ timeout: 60000 });
	for (let attempt = 1; ; attempt++) {
		const box = await text.boundingBox();
		await page.mouse.dblclick(box.x + box.width / 2, box.y - 50);
		try {
			await page.getByText('Parameters', { exact: true }).first().waitFor({ state: 'visible', timeout: 10000 });
			return;
		} catch (error) {
			if (attempt === 3) throw error;
		}
	}
}

async function main() {
	const target = TARGETS.find((candidate) => candidate.name === 'n8n 1.x');
	const bin = nodeBin(target.nodeMajor);
	const n8n = installN8n(target, bin);
	const home = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-editor-'));
	const tarball = packPackage();
	installInto(home, tarball);
	fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
	const sim = await forkSimulator({});
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const env = n8nEnv(home, bin, { N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HOST: '127.0.0.1', N8N_PORT: String(port), N8N_SECURE_COOKIE: 'false' });
	const file = path.join(home, 'input.json');
	fs.writeFileSync(file, JSON.stringify(simulatorCredential(sim.url)));
	spawnSync(n8n, ['import:credentials', `--input=${file}`], { env, stdio: 'ignore' });
	fs.writeFileSync(
		file,
		JSON.stringify({
			id: 'tsEditorCheck',
			name: 'Editor check',
			active: false,
			settings: {},
			nodes: [
				{
					id: '0f8d7a1c-1111-4e2a-9b3c-000000000001',
					name: 'ThingSpace SIM-Secure',
					type: NODE_TYPE,
					typeVersion: 1,
					position: [300, 200],
					parameters: { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT', devices: { device: [{ deviceIds: { deviceId: [{ kind: 'IMEI', id: '356938035641233' }] } }] } },
					credentials: { thingSpaceApi: { id: 'tsSimCredential', name: 'ThingSpace simulator' } },
				},
			],
			connections: {},
		}),
	);
	spawnSync(n8n, ['import:workflow', `--input=${file}`], { env, stdio: 'ignore' });
	fs.writeFileSync(
		file,
		JSON.stringify({
			id: 'tsEditorTrigger',
			name: 'Editor check: trigger',
			active: false,
			settings: {},
			nodes: [
				{
					id: '0f8d7a1c-2222-4e2a-9b3c-000000000001',
					name: 'ThingSpace SIM-Secure Trigger',
					type: `${NODE_TYPE}Trigger`,
					typeVersion: 1,
					position: [300, 200],
					webhookId: '0f8d7a1c-2222-4e2a-9b3c-000000000002',
					parameters: { results: 'all', options: {} },
					credentials: { thingSpaceApi: { id: 'tsSimCredential', name: 'ThingSpace simulator' } },
				},
			],
			connections: {},
		}),
	);
	spawnSync(n8n, ['import:workflow', `--input=${file}`], { env, stdio: 'ignore' });
	// The same node with the Lifetime SKU: the editor warns that these licenses cannot be removed.
	const lifetime = JSON.parse(fs.readFileSync(file, 'utf8'));
	fs.writeFileSync(
		file,
		JSON.stringify({
			id: 'tsEditorLifetime',
			name: 'Editor check: Lifetime',
			active: false,
			settings: {},
			nodes: [
				{
					id: '0f8d7a1c-3333-4e2a-9b3c-000000000001',
					name: 'ThingSpace SIM-Secure',
					type: NODE_TYPE,
					typeVersion: 1,
					position: [300, 200],
					parameters: { resource: 'license', operation: 'assign', skuNumber: 'SIMSec-IoT-Lt', deviceSource: 'list', deviceList: '356938035641233' },
					credentials: lifetime.nodes[0].credentials,
				},
			],
			connections: {},
		}),
	);
	spawnSync(n8n, ['import:workflow', `--input=${file}`], { env, stdio: 'ignore' });

	const server = spawn(n8n, ['start'], { env, stdio: 'ignore' });
	let browser;
	let passed = 0;
	let failed = 0;
	let pageForShots;
	const check = async (name, run) => {
		try {
			await run();
			passed++;
			log(`ok - editor - ${name}`);
		} catch (error) {
			failed++;
			await pageForShots?.screenshot({ path: path.join(SHOTS, `failed-${passed + failed}.png`) }).catch(() => undefined);
			log(`not ok - editor - ${name}\n  ${String(error.message).split('\n').slice(0, 4).join('\n  ')}`);
		}
	};
	try {
		await waitFor('n8n to answer', async () => {
			if (server.exitCode !== null) throw new Error(`n8n exited with ${server.exitCode}`);
			return await isReady(base);
		}, 120000);
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
		});
		const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
		// Through the browser context's own client: its session cookie is what the editor pages use.
		const owner = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Editor-check-1' };
		await setUpOwner(async (data) => {
			const answer = await context.request.post(`${base}/rest/owner/setup`, { data });
			return { status: answer.status(), body: await answer.text() };
		}, owner);
		const page = await context.newPage();
		pageForShots = page;
		fs.mkdirSync(SHOTS, { recursive: true });

		await check('the node opens with its operations, device collection and SKU list', async () => {
			await openNode(page, `${base}/workflow/tsEditorCheck`, 'ThingSpace SIM-Secure');
			for (const text of ['Resource', 'Operation', 'Account Name', 'SKU', 'Devices Input', 'Devices', 'Add Device']) {
				await page.getByText(text, { exact: true }).first().waitFor({ timeout: 20000 });
			}
			await page.screenshot({ path: path.join(SHOTS, 'node-assign.png') });
			assert.equal(await page.getByText(/Lifetime licenses cannot be removed once assigned/).count(), 0, 'no Lifetime notice for Flex');
			// Open the SKU list: its field sits right under its label. A click while the panel still moves may miss it.
			const firstOption = page.getByText(SKU_NAMES[0], { exact: true }).first();
			for (let attempt = 1; ; attempt++) {
				const sku = await page.getByText('SKU', { exact: true }).first().boundingBox();
				await page.mouse.click(sku.x + 100, sku.y + sku.height + 20);
				const opened = await firstOption.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
				if (opened) break;
				assert.ok(attempt < 3, 'the SKU list did not open after 3 clicks');
			}
			// Every SKU of the node's one list, but the selected one (its name is the field's value).
			for (const option of SKU_NAMES) {
				await page.getByText(option, { exact: true }).first().waitFor({ state: 'visible', timeout: 10000 });
			}
			await page.getByText(SKUS.find((sku) => !sku.removable).description).first().waitFor({ state: 'visible', timeout: 10000 });
			await page.screenshot({ path: path.join(SHOTS, 'node-sku-list.png') });
			await page.keyboard.press('Escape');
		});

		await check('with the Lifetime SKU the node shows its notice, and Dry Run and Check Availability First are options', async () => {
			await openNode(page, `${base}/workflow/tsEditorLifetime`, 'ThingSpace SIM-Secure');
			await page.getByText(/Lifetime licenses cannot be removed once assigned/).first().waitFor({ state: 'visible', timeout: 20000 });
			await page.getByPlaceholder('Add Option').first().click();
			for (const option of ['Dry Run', 'Check Availability First']) {
				await page.getByText(option, { exact: true }).first().waitFor({ state: 'visible', timeout: 10000 });
			}
			await page.screenshot({ path: path.join(SHOTS, 'node-lifetime.png') });
			await page.keyboard.press('Escape');
		});

		await check('the trigger opens with the port rule, its filters and options', async () => {
			await openNode(page, `${base}/workflow/tsEditorTrigger`, 'ThingSpace SIM-Secure Trigger');
			await page.getByText(/ThingSpace delivers callbacks only to ports 80, 443, 9001–9006, 50551–50559 or 28200–28220/).first().waitFor({ timeout: 20000 });
			for (const text of ['Account Name', 'Results']) await page.getByText(text, { exact: true }).first().waitFor({ timeout: 20000 });
			// "Add Option" is the placeholder of the options dropdown.
			await page.getByPlaceholder('Add Option').first().click();
			for (const option of ['Only Request IDs', 'Replace Existing Listener', 'Secret']) {
				await page.getByText(option, { exact: true }).first().waitFor({ state: 'visible', timeout: 10000 });
			}
			await page.screenshot({ path: path.join(SHOTS, 'trigger.png') });
			await page.keyboard.press('Escape');
		});

		await check('the credential form shows its fields', async () => {
			await page.goto(`${base}/home/credentials/tsSimCredential`);
			for (const text of ['Environment', 'App Key', 'App Secret', 'UWS Username', 'UWS Password', 'Default Account Name']) {
				await page.getByText(new RegExp(`^\\s*${text}\\b`)).first().waitFor({ state: 'attached', timeout: 30000 });
			}
			await page.screenshot({ path: path.join(SHOTS, 'credential.png') });
		});
	} finally {
		await browser?.close();
		server.kill('SIGTERM');
		await sim.close();
		await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
		fs.rmSync(home, { recursive: true, force: true });
	}
	log(`screenshots: ${path.relative(ROOT, SHOTS)}/`);
	log(`${passed} passed, ${failed} failed`);
	process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((error) => {
	process.stderr.write(`${error.stack ?? error}\n`);
	process.exit(1);
});
