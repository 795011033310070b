/** Jinja's Undefined as Ansible uses it (strict): any use other than `default`/`is defined` raises. */
import { TsplayError } from '../../errors.js';

export class Undef {
  /** @param name the full dotted path, e.g. "ansible_facts.foo"; @param detail Ansible's own wording */
  constructor(
    readonly name: string,
    readonly detail?: string,
  ) {}
  get message(): string {
    return this.detail ? `'${this.name}' is undefined (${this.detail})` : `'${this.name}' is undefined`;
  }
  fail(): never {
    throw new TsplayError('undefined-var', this.message);
  }
  toString(): never {
    return this.fail();
  }
}

export function isUndef(v: unknown): v is Undef {
  return v instanceof Undef;
}

/** What `omit` evaluates to: the engine drops module arguments whose value is OMIT. */
export const OMIT: unique symbol = Symbol.for('tsplay.omit');
export const OMIT_TEXT = '__omit_place_holder__tsplay';
