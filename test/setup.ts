// jest.config.js setupFilesAfterEnv: every test on a TestClock of its own (test/time.ts).
import { endTime, startTime } from './time';

beforeEach(startTime);
afterEach(endTime);
