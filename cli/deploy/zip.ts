import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { ZipFile } from 'yazl';

/** A deployment package and its hash as Lambda reports it (`CodeSha256`, base64). */
export interface LambdaZip {
  zip: Buffer;
  sha256: string;
}

// A fixed time and mode for every entry: the same code gives the same bytes, so the same hash.
const EPOCH = new Date('2020-01-01T00:00:00Z');

/** Zips one bundle file as `entryName` at the zip's root, deterministically. */
export function zipBundle(file: string, entryName: string): Promise<LambdaZip> {
  const zipFile = new ZipFile();
  zipFile.addBuffer(fs.readFileSync(file), entryName, { mtime: EPOCH, mode: 0o100644, compress: true });
  zipFile.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zipFile.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zipFile.outputStream.on('error', reject);
    zipFile.outputStream.on('end', () => {
      const zip = Buffer.concat(chunks);
      resolve({ zip, sha256: createHash('sha256').update(zip).digest('base64') });
    });
  });
}
