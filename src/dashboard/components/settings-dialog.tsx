/**
 * Settings: the trading-mode toggle. Going live asks for confirmation, then asks the server, which
 * never switches while running; its refusal and the interlock's missing pieces are shown as sent.
 */
import { useState } from 'preact/hooks';
import { ApiError, type Api, type ModeView } from '../api-client.js';

type Step = { kind: 'idle' } | { kind: 'confirm'; target: 'live' | 'paper' } | { kind: 'asking' } | { kind: 'refused'; code: string; message: string; missing: readonly string[] } | { kind: 'done'; text: string };

export function SettingsDialog(props: { api: Api; mode: ModeView; onClose(): void }) {
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const live = props.mode.mode === 'live';
  const ask = async (target: 'live' | 'paper') => {
    setStep({ kind: 'asking' });
    try {
      const answer = await props.api.askMode(target);
      setStep({ kind: 'done', text: `The server is in ${answer.mode} mode.` });
    } catch (err) {
      if (err instanceof ApiError) setStep({ kind: 'refused', code: err.body.code, message: err.body.message, missing: err.body.missing ?? [] });
      else setStep({ kind: 'refused', code: 'NETWORK', message: String(err), missing: [] });
    }
  };
  return (
    <div class="overlay" role="presentation" onClick={(e) => { if (e.target === e.currentTarget) props.onClose(); }}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="settings-title" data-testid="settings">
        <header class="dialog-head">
          <h2 id="settings-title">Settings</h2>
          <button type="button" class="ghost icon" aria-label="Close settings" onClick={props.onClose}>✕</button>
        </header>
        <section class="setting">
          <div>
            <h3>Trading mode</h3>
            <p class="dim small">Currently <strong class={live ? 'neg' : 'accent'}>{live ? 'LIVE — real money' : 'PAPER — simulated, no real money'}</strong>.</p>
          </div>
          <button
            type="button"
            role="switch"
            aria-checked={live}
            aria-label="Live trading"
            class={`switch ${live ? 'on' : ''}`}
            data-testid="mode-toggle"
            onClick={() => setStep({ kind: 'confirm', target: live ? 'paper' : 'live' })}
          >
            <span class="knob" />
            <span class="switch-label">{live ? 'Live' : 'Paper'}</span>
          </button>
        </section>
        {step.kind === 'confirm' && (
          <div class="confirm" role="alertdialog" aria-label="Confirm mode switch" data-testid="mode-confirm">
            {step.target === 'live' ? (
              <p><strong>Switch to LIVE trading?</strong> Orders would go to the real exchange and spend real money.</p>
            ) : (
              <p><strong>Switch back to paper trading?</strong></p>
            )}
            <div class="row">
              <button type="button" class="ghost" onClick={() => setStep({ kind: 'idle' })}>Cancel</button>
              <button type="button" class={step.target === 'live' ? 'danger' : 'primary'} data-testid="mode-confirm-yes" onClick={() => ask(step.target)}>
                {step.target === 'live' ? 'Yes, switch to live' : 'Yes, switch to paper'}
              </button>
            </div>
          </div>
        )}
        {step.kind === 'asking' && <p class="dim">Asking the server…</p>}
        {step.kind === 'refused' && (
          <div class="notice bad refusal" role="alert" data-testid="mode-refusal">
            <strong>The server refused: {step.code}</strong>
            <span>{step.message}</span>
            {step.missing.length > 0 && (
              <>
                <span>Missing:</span>
                <ul data-testid="mode-missing">{step.missing.map((m) => <li key={m}><code>{m}</code></li>)}</ul>
              </>
            )}
            <span class="small">The server never switches modes while it runs: set these and restart it.</span>
          </div>
        )}
        {step.kind === 'done' && <p class="notice ok">{step.text}</p>}
      </div>
    </div>
  );
}
