// Applies the @nestjs/swagger CLI plugin inside ts-jest, so tests see the same OpenAPI metadata as `nest build`.
const transformer = require('@nestjs/swagger/plugin');

module.exports.name = 'nestjs-swagger-transformer';
module.exports.version = 1;
module.exports.factory = (cs) => transformer.before({ introspectComments: true, classValidatorShim: true }, cs.program);
