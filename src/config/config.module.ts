import { Global, Module } from '@nestjs/common';
import { AppConfig, loadAppConfig } from './app-config';

/** Provides the validated AppConfig to every module. Tests override the provider with their own AppConfig. */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: (): AppConfig => loadAppConfig(process.env) }],
  exports: [AppConfig],
})
export class ConfigModule {}
