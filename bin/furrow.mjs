#!/usr/bin/env node
// Furrow's command-line entry point. TypeScript sources run through tsx's loader, so there is no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK is pinned to releases that support Node 20 (see README); its Node 22 notice is noise for users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../pipeline/cli.ts');
await main(process.argv.slice(2));
