/** `corpus export`: a single JSONL or Parquet file of the records, for other tools. */
import { corpusRecords, openCorpus } from './read-corpus';
import { ArgumentError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import { loadEsm } from '../io/esm';

export async function exportCorpus(dir: string, format: 'jsonl' | 'parquet', outFile: string): Promise<{ records: number }> {
  const corpus = openCorpus(dir);
  const records = [...corpusRecords(corpus)];
  if (format === 'jsonl') {
    await writeFileAtomic(outFile, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
  } else if (format === 'parquet') {
    const { parquetWriteBuffer } = await loadEsm<typeof import('hyparquet-writer')>('hyparquet-writer');
    const buf: ArrayBuffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: records.map((r) => r.id), type: 'INT32' },
        { name: 'text', data: records.map((r) => r.text), type: 'STRING' },
        { name: 'tokens', data: records.map((r) => r.tokens) },
        { name: 'num_tokens', data: records.map((r) => r.num_tokens), type: 'INT32' },
        { name: 'finish_reason', data: records.map((r) => r.finish_reason), type: 'STRING' },
      ],
    });
    await writeFileAtomic(outFile, new Uint8Array(buf));
  } else {
    throw new ArgumentError(`unknown export format ${String(format)} (jsonl or parquet)`);
  }
  return { records: records.length };
}
