// The Preferences form's building blocks: a titled section, a switch, and the field's problems
// in the shared schema's words.
import type { ReactNode } from 'react';

export function FieldErrors({ messages, testId }: { messages: string[]; testId?: string }) {
  if (messages.length === 0) return null;
  return (
    <div className="field-error" role="alert" data-testid={testId}>
      {messages.map((m) => (
        <div key={m}>{m}</div>
      ))}
    </div>
  );
}

export function Section({
  title,
  hint,
  children,
}: {
  title: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <section className="card">
      <h2>{title}</h2>
      {hint ? <p className="muted hint">{hint}</p> : null}
      {children}
    </section>
  );
}

export function Toggle(props: {
  label: string;
  checked: boolean;
  onChange(v: boolean): void;
  testId?: string;
}) {
  return (
    <label className="toggle">
      <input
        type="checkbox"
        role="switch"
        data-testid={props.testId}
        checked={props.checked}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      <span className="toggle-track" aria-hidden />
      <span>{props.label}</span>
    </label>
  );
}
