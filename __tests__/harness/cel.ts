// A tiny subset of CEL, enough for DeviceClass and request selectors as drivers ship them:
// device.driver, device.attributes["domain"].name (and ["name"]), string/int/bool literals,
// == != < <= > >=, && || !, parentheses. Anything else raises CelUnsupported, which the
// scheduler reports like a real CEL runtime error (the claim cannot be allocated).

export class CelUnsupported extends Error {}

export interface CelDevice {
  driver: string;
  attributes: Partial<Record<string, Record<string, string | number | boolean>>>;
}

type Token = { t: 'id' | 'str' | 'num' | 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') j++;
        s += src[j] ?? '';
        j++;
      }
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('()[].!<>'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    const num = /^-?\d+/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw new CelUnsupported(`unexpected character ${JSON.stringify(c)}`);
  }
  return out;
}

type Value = string | number | boolean | undefined | { attrs: Record<string, string | number | boolean> };

export function evaluateCel(expression: string, device: CelDevice): boolean {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const take = (v?: string): Token => {
    const tok = tokens.at(pos++);
    if (!tok || (v !== undefined && tok.v !== v)) throw new CelUnsupported(`expected ${v ?? 'a token'} in ${JSON.stringify(expression)}`);
    return tok;
  };

  const primary = (): Value => {
    const tok = take();
    if (tok.t === 'str') return tok.v;
    if (tok.t === 'num') return Number(tok.v);
    if (tok.t === 'op' && tok.v === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (tok.t === 'op' && tok.v === '!') return !truthy(primary());
    if (tok.t === 'id' && (tok.v === 'true' || tok.v === 'false')) return tok.v === 'true';
    if (tok.t === 'id' && tok.v === 'device') {
      take('.');
      const field = take().v;
      if (field === 'driver') return device.driver;
      if (field === 'attributes') {
        take('[');
        const domain = take().v;
        take(']');
        let name: string;
        if (peek()?.v === '[') {
          take('[');
          name = take().v;
          take(']');
        } else {
          take('.');
          name = take().v;
        }
        return device.attributes[domain]?.[name];
      }
      throw new CelUnsupported(`device.${field} is not supported by the fake`);
    }
    throw new CelUnsupported(`unsupported expression near ${JSON.stringify(tok.v)}`);
  };

  const comparison = (): Value => {
    const left = primary();
    const op = peek();
    if (op && op.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(op.v)) {
      pos++;
      const right = primary();
      switch (op.v) {
        case '==':
          return left === right;
        case '!=':
          return left !== right;
        case '<':
          return (left as number) < (right as number);
        case '<=':
          return (left as number) <= (right as number);
        case '>':
          return (left as number) > (right as number);
        default:
          return (left as number) >= (right as number);
      }
    }
    return left;
  };
  const and = (): Value => {
    let v = truthy(comparison());
    while (peek()?.v === '&&') {
      pos++;
      const r = truthy(comparison());
      v = v && r;
    }
    return v;
  };
  const or = (): Value => {
    let v = truthy(and());
    while (peek()?.v === '||') {
      pos++;
      const r = truthy(and());
      v = v || r;
    }
    return v;
  };
  const result = or();
  if (pos !== tokens.length) throw new CelUnsupported(`unsupported expression ${JSON.stringify(expression)}`);
  return truthy(result);
}

function truthy(v: Value): boolean {
  return v === true;
}
