import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { azuriteConstants, isProcessAlive, startAzurite, type Azurite } from '../support/azurite.ts';

const started: Azurite[] = [];

async function start(): Promise<Azurite> {
  const azurite = await startAzurite();
  started.push(azurite);
  return azurite;
}

describe('startAzurite', () => {
  after(async () => {
    await Promise.all(started.map((a) => a.stop()));
    for (const a of started) assert.equal(isProcessAlive(a.pid), false, `Azurite PID ${a.pid} still running`);
  });

  test('reads the well-known account from Azurite itself', () => {
    const { accountName, accountKey, apiVersion } = azuriteConstants();
    assert.equal(accountName, 'devstoreaccount1');
    assert.equal(Buffer.from(accountKey, 'base64').length, 64);
    assert.match(apiVersion, /^\d{4}-\d{2}-\d{2}$/);
  });

  test('serves 127.0.0.1 only, refuses anonymous listing, and accepts the shared key', async () => {
    const azurite = await start();
    assert.match(azurite.blobEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    assert.equal((await fetch(`${azurite.blobEndpoint}?comp=list`)).status, 403);

    const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    const container = new BlobServiceClient(azurite.blobEndpoint, credential).getContainerClient('probe');
    await container.create();
    await container.getBlockBlobClient('dir/blob.txt').upload('blob body', 9);
    const body = await container.getBlobClient('dir/blob.txt').downloadToBuffer();
    assert.equal(body.toString(), 'blob body');
  });

  test('two instances run side by side on different ports', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    assert.notEqual(a?.blobEndpoint, b?.blobEndpoint);
    assert.notEqual(a?.pid, b?.pid);
  });

  test('stop() ends the process by PID, closes the port, and can be called again', async () => {
    const azurite = await start();
    assert.equal(isProcessAlive(azurite.pid), true);
    await azurite.stop();
    assert.equal(isProcessAlive(azurite.pid), false);
    await assert.rejects(fetch(`${azurite.blobEndpoint}?comp=list`));
    await azurite.stop();
  });
});
