import { Controller, Get, Post } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { AdminOnly, PublicRoute } from '../auth/auth.decorators';
import { routeAccessByOperationId, servedOpenApiDocument } from './openapi-document';

@PublicRoute()
@Controller('probes')
class ProbesController {
  @Get()
  live(): string {
    return 'up';
  }
}

class ReadsController {
  @Get('things')
  list(): string[] {
    return [];
  }
}

@Controller()
class ThingsController extends ReadsController {
  @AdminOnly()
  @Post('things')
  create(): string {
    return 'made';
  }
}

describe('openapi-document', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ProbesController, ThingsController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('test').build());
    SwaggerModule.setup('docs', app, document, {
      jsonDocumentUrl: 'docs-json',
      patchDocumentOnRequest: (_request, _reply, built) => ({ ...built, info: { ...built.info, title: 'patched' } }),
    });
    await app.init();
  });

  afterAll(() => app.close());

  it('reads the document as /docs-json serves it, patches included', async () => {
    const document = await servedOpenApiDocument(app);
    expect(document.info.title).toBe('patched');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/probes', '/things']));
  });

  it("gives each operationId its guard's access: public class, admin handler, inherited handler", async () => {
    const access = routeAccessByOperationId(app);
    expect(access.get('ProbesController_live')).toBe('none');
    expect(access.get('ThingsController_create')).toBe('admin');
    expect(access.get('ThingsController_list')).toBe('api-key');
    const document = await servedOpenApiDocument(app);
    const operationIds = Object.values(document.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string }>).map((operation) => operation.operationId),
    );
    for (const id of operationIds) expect(access.has(id!)).toBe(true);
  });
});
