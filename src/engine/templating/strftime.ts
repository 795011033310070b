/** Python's datetime.strftime for the common directives, and Ansible's now() global. */

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** strftime of a moment (ms since the epoch, plus microseconds within the ms), in UTC or local time. */
export function strftime(fmt: string, ms: number, utc: boolean, micro = 0): string {
  const d = new Date(ms);
  const g = utc
    ? { Y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate(), H: d.getUTCHours(), M: d.getUTCMinutes(), S: d.getUTCSeconds(), w: d.getUTCDay() }
    : { Y: d.getFullYear(), m: d.getMonth(), d: d.getDate(), H: d.getHours(), M: d.getMinutes(), S: d.getSeconds(), w: d.getDay() };
  const dow = (g.w + 6) % 7; // Monday = 0
  const yday = Math.floor((Date.UTC(g.Y, g.m, g.d) - Date.UTC(g.Y, 0, 1)) / 86400000) + 1;
  const off = utc ? 0 : -d.getTimezoneOffset();
  return fmt.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y':
        return String(g.Y);
      case 'y':
        return pad(g.Y % 100);
      case 'm':
        return pad(g.m + 1);
      case 'd':
        return pad(g.d);
      case 'H':
        return pad(g.H);
      case 'I':
        return pad(g.H % 12 || 12);
      case 'p':
        return g.H < 12 ? 'AM' : 'PM';
      case 'M':
        return pad(g.M);
      case 'S':
        return pad(g.S);
      case 'f':
        return pad((ms % 1000) * 1000 + micro, 6);
      case 's':
        return String(Math.floor(ms / 1000));
      case 'j':
        return pad(yday, 3);
      case 'a':
        return DAYS[dow]!.slice(0, 3);
      case 'A':
        return DAYS[dow]!;
      case 'b':
        return MONTHS[g.m]!.slice(0, 3);
      case 'B':
        return MONTHS[g.m]!;
      case 'w':
        return String(g.w);
      case 'z':
        return utc ? '' : (off >= 0 ? '+' : '-') + pad(Math.floor(Math.abs(off) / 60)) + pad(Math.abs(off) % 60);
      case 'Z':
        return utc
          ? ''
          : (Intl.DateTimeFormat('en', { timeZoneName: 'short' })
              .formatToParts(d)
              .find((p) => p.type === 'timeZoneName')?.value ?? '');
      case 'F':
        return `${g.Y}-${pad(g.m + 1)}-${pad(g.d)}`;
      case 'T':
        return `${pad(g.H)}:${pad(g.M)}:${pad(g.S)}`;
      case '%':
        return '%';
      default:
        return all;
    }
  });
}

/** now(utc=False, fmt=None): with fmt the formatted time; without, str() of the datetime ('YYYY-MM-DD HH:MM:SS.ffffff'). */
export function now(utc: boolean, fmt: string | undefined): string {
  const ms = Date.now();
  return strftime(fmt ?? '%Y-%m-%d %H:%M:%S.%f', ms, utc);
}
