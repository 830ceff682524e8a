// The botbuilder-js echo bot the mvmbot bench compares against: CloudAdapter
// in local mode (no MicrosoftAppId), so inbound requests are not
// authenticated and replies go to the serviceUrl without a token. It is the
// Bot Framework samples' echo bot with node's own http module in place of
// restify, to keep the dependency set to botbuilder alone.
'use strict';

const http = require('http');
const {
    ActivityHandler,
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
} = require('botbuilder');

const port = Number(process.env.PORT || 3978);
const maxBody = 1 << 20;

const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
adapter.onTurnError = async (context, error) => {
    console.error(`turn error: ${error && error.stack ? error.stack : error}`);
};

class EchoBot extends ActivityHandler {
    constructor() {
        super();
        this.onMessage(async (context, next) => {
            await context.sendActivity(`Echo: ${context.activity.text}`);
            await next();
        });
    }
}
const bot = new EchoBot();

// CloudAdapter.process wants the restify/express shape: a parsed req.body
// and res.status/send/header. These few lines are what that middleware does.
function shim(res) {
    res.status = (code) => { res.statusCode = code; };
    res.header = (name, value) => { res.setHeader(name, value); };
    res.send = (body) => {
        if (body === undefined || body === null) return;
        if (typeof body === 'object' && !Buffer.isBuffer(body)) {
            res.setHeader('Content-Type', 'application/json; charset=utf-8');
            body = JSON.stringify(body);
        }
        res.write(body);
    };
    return res;
}

const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/readyz') {
        res.end('ok');
        return;
    }
    if (req.url !== '/api/messages') {
        res.statusCode = 404;
        res.end();
        return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
        size += c.length;
        if (size > maxBody) {
            res.statusCode = 413;
            res.end();
            req.destroy();
            return;
        }
        chunks.push(c);
    });
    req.on('end', () => {
        if (res.writableEnded) return;
        try {
            req.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (e) {
            res.statusCode = 400;
            res.end();
            return;
        }
        adapter.process(req, shim(res), (context) => bot.run(context)).catch((err) => {
            console.error(`process: ${err && err.stack ? err.stack : err}`);
            if (!res.writableEnded) {
                res.statusCode = 500;
                res.end();
            }
        });
    });
});

server.listen(port, '127.0.0.1', () => {
    console.log(`echo-js listening on 127.0.0.1:${port}`);
});

// The bench stops the bot with SIGTERM; exit at once rather than wait for
// keep-alive connections to drain.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
