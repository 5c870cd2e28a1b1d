// The baseline of `npm run bench:serve`: bare Fastify (the service's HTTP server, same version, defaults) answering
// POST /echo with the JSON body it parsed, serialised back. Nothing else: no Nest, validation, model, log or metrics.
// Started as its own process on PORT, like the service, so both are measured the same way.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
app.post('/echo', (request) => request.body);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
