// The parse-only ceiling for the server benchmark: a bare Node `http` server that gunzips and
// JSON-parses each body and answers 200, storing nothing. No server that keeps the events can
// beat it on this machine; Ferry's rows are printed as a ratio to it.
import http from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse((await gunzipAsync(Buffer.concat(chunks))).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true, accepted: body.batch.length }));
    } catch (err) {
      res.writeHead(400).end(String(err));
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
