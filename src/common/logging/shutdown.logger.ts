import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

/** Says when a graceful shutdown starts (on SIGTERM/SIGINT) and when the server and database are closed. */
@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  beforeApplicationShutdown(signal?: string): void {
    this.logger.log(`Shutting down${signal ? ` on ${signal}` : ''}: closing the HTTP server and the database`);
  }

  onApplicationShutdown(signal?: string): void {
    this.logger.log(`Shutdown complete${signal ? ` (${signal})` : ''}`);
  }
}
