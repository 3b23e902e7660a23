import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerRecordCommand, runRecordCommand } from './record-command.js';

describe('papertrade record', () => {
  it('registers the record command with its options', () => {
    const program = new Command();
    registerRecordCommand(program);
    const record = program.commands.find((c) => c.name() === 'record')!;
    expect(record.options.map((o) => o.long)).toEqual(['--symbols', '--out', '--exchange', '--minutes', '--market-cache', '--exchange-urls', '--exchange-options']);
  });

  it('refuses a duration that is not a positive number and an empty symbol list before contacting anything', async () => {
    const print = () => undefined;
    await expect(runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: 'soon', out: '/tmp/x' }, print)).rejects.toThrow(/--minutes/);
    await expect(runRecordCommand({ exchange: 'binance', symbols: ' , ', minutes: '1', out: '/tmp/x' }, print)).rejects.toThrow(/--symbols/);
    await expect(runRecordCommand({ exchange: 'binance', symbols: 'BTCUSDT', minutes: '1', out: '/tmp/x', exchangeUrls: '[1]' }, print)).rejects.toThrow(/--exchange-urls must be a JSON object/);
  });
});
