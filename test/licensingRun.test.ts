// The engine suites about a licensing run: items, devices, requests, errors and outputs.
// One entry per group, so that a jest worker loads n8n-core once for many suites (each load takes about 2 s).
import './aiTool.suite';
import './bulk.suite';
import './continueOnFail.suite';
import './deviceIdentity.suite';
import './dryRun.suite';
import './errors.suite';
import './faults.property.suite';
import './itemJoin.suite';
import './license.suite';
import './licenseCounts.suite';
import './noLostWork.suite';
import './stoppedRun.suite';
import './userValues.suite';
