import { Logger } from '@nestjs/common';

// Tests print only errors; the code under test logs as usual.
Logger.overrideLogger(['error', 'fatal']);
