// The engine suites about the credential and time: logins, the lease, pacing, in flight, redaction, the trigger.
// One entry per group, so that a jest worker loads n8n-core once for many suites (each load takes about 2 s).
import './auth.suite';
import './credentialTest.suite';
import './credentialWrites.suite';
import './hardening.suite';
import './inFlight.suite';
import './instance.suite';
import './pacing.suite';
import './redaction.suite';
import './triggerLifecycle.suite';
