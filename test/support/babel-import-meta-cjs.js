// Babel plugin for Jest only: rewrites `import.meta` in ESM dependencies compiled to CommonJS.
// url → a file URL of __filename, dirname/filename → __dirname/__filename, resolve(x) → require.resolve(x).
module.exports = function importMetaToCommonJs({ types: t }) {
  const isImportMeta = (node) => t.isMetaProperty(node) && node.meta.name === 'import' && node.property.name === 'meta';
  return {
    name: 'import-meta-to-commonjs',
    visitor: {
      MemberExpression(path) {
        if (!isImportMeta(path.node.object) || !t.isIdentifier(path.node.property)) return;
        switch (path.node.property.name) {
          case 'url':
            path.replaceWith(t.binaryExpression('+', t.stringLiteral('file://'), t.identifier('__filename')));
            break;
          case 'dirname':
            path.replaceWith(t.identifier('__dirname'));
            break;
          case 'filename':
            path.replaceWith(t.identifier('__filename'));
            break;
          case 'resolve':
            path.replaceWith(t.memberExpression(t.identifier('require'), t.identifier('resolve')));
            break;
        }
      },
    },
  };
};
