'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const { greeting } = require('greeting');

function buildInfo() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, 'dist', 'build-info.json'), 'utf8'));
  } catch (err) {
    return { error: `no build info (${err.code || err.message}): run \`npm run build\`` };
  }
}

const info = buildInfo();
const port = Number(process.env.PORT || 8080);

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/' || req.url.startsWith('/?'))) {
    const body = `hello from shallot\n${greeting('shallot')}\nbuild: ${JSON.stringify(info)}\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
});

server.listen(port, () => {
  console.log(`shallot-example-node-yarn listening on :${port}`);
});

// Exit promptly on `docker stop` (node as PID 1 ignores SIGTERM by default).
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
