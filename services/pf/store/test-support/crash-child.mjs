// Child process of deferred-store.crash.test.ts: opens the store at argv[2] with the real TypeScript code and
// writes deferred items through the batched DeferredWriter until it is killed. After each commit it prints
// `committed <n>`; every third item is then acked and `acked <n>` printed once that commit resolved.
import { DeferredWriter, openStores, WriteBatcher } from '../index.js';

const [, , path, groupId, recipient] = process.argv;
const stores = openStores({ path });
const writer = new DeferredWriter(stores.deferred, new WriteBatcher(stores.db));
const out = (line) => process.stdout.write(`${line}\n`);

out('ready');
for (let round = 0; round < 100_000; round++) {
  const ns = [0, 1, 2, 3, 4].map((k) => round * 5 + k);
  const results = await Promise.all(
    ns.map((n) =>
      writer.enqueue({
        recipient,
        groupId,
        kind: 'message',
        messageId: `m-${n}`,
        sender: 'sip:bob@ims.lab',
        contentType: 'message/cpim',
        body: Buffer.from(`message ${n}`),
      }),
    ),
  );
  for (let k = 0; k < ns.length; k++) {
    if (!results[k].stored) throw new Error(`m-${ns[k]} not stored`);
    out(`committed ${ns[k]}`);
  }
  const acked = ns.filter((n) => n % 3 === 0);
  await Promise.all(
    acked.map((n) => writer.ack(results[ns.indexOf(n)].item.id).then(() => out(`acked ${n}`))),
  );
}
