import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PublicRoute } from '../common/auth/auth.decorators';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page's files, read once: its own (public/, copied beside the compiled code) and Chart.js's UMD build. */
function loadFiles(): Map<string, { body: Buffer; type: string }> {
  const own = join(__dirname, 'public');
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of ['index.html', 'dashboard.js', 'online.js', 'explain.js', 'dashboard.css']) {
    files.set(name, { body: readFileSync(join(own, name)), type: TYPES[name.slice(name.lastIndexOf('.'))] });
  }
  const chart = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  files.set('chart.umd.min.js', { body: readFileSync(chart), type: TYPES['.js'] });
  return files;
}

/**
 * `/dashboard`: a static page (no front-end build; Chart.js from the npm registry) that reads the service's own JSON
 * endpoints. The page is public; the data it reads needs what the API needs (API_KEYS, the admin key for actions).
 */
@ApiExcludeController()
@PublicRoute()
@Controller('dashboard')
export class DashboardController {
  private readonly files = loadFiles();

  @Get()
  index(@Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, 'index.html');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): Buffer {
    const file = this.files.get(name);
    if (!file) throw new NotFoundException(`No dashboard file ${name.slice(0, 80)}`);
    void reply.type(file.type).header('cache-control', 'no-cache');
    return file.body;
  }
}
