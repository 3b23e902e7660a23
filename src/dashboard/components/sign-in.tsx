/** Sign-in with an account key or the admin key (the server prints a `?key=` link at start). */
import { useState } from 'preact/hooks';

export function SignIn(props: { error: string | undefined; busy: boolean; onSubmit(key: string): void }) {
  const [key, setKey] = useState('');
  return (
    <main class="sign-in">
      <form
        class="panel sign-in-card"
        data-testid="sign-in"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim() !== '') props.onSubmit(key.trim());
        }}
      >
        <h1>Sign in</h1>
        <p class="dim">Paste an account API key, or the admin key to choose among all accounts. The server prints a link with the key when it starts.</p>
        <label class="field">
          <span>API key</span>
          <input name="apiKey" type="password" autoComplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} placeholder="pt_… or ptadmin_…" />
        </label>
        {props.error !== undefined && <p class="field-error" role="alert">{props.error}</p>}
        <button type="submit" class="primary" disabled={props.busy}>{props.busy ? 'Checking…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
