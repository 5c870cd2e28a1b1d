import { Global, Module } from '@nestjs/common';
import { ClusterBus } from './cluster-bus.service';

/** Messages between the processes that share a database (see ClusterBus); available to every module. */
@Global()
@Module({
  providers: [ClusterBus],
  exports: [ClusterBus],
})
export class ClusterModule {}
