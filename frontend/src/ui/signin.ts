// The sign-in dialog: shown when the server answers 401 (its anonymous reads are off, or
// the token expired). Both languages at once, since it may open before the page has its
// language switch; the token stays in sessionStorage only (src/auth.ts).
import { h } from '../ctx';

/** Asks for a token; resolves with it, or null when cancelled. retry says the last one was refused. */
export function askToken(retry: boolean): Promise<string | null> {
  const input = h('input', { type: 'password', id: 'signin-token', autocomplete: 'off', required: true, placeholder: 'crk_…' });
  const form = h('form', { method: 'dialog' },
    h('h2', {}, '登录 · Sign in'),
    h('p', {}, retry ? '令牌无效或已过期，请重新输入。 · The token was refused or has expired; enter another.'
      : '此服务需要令牌才能读取数据。 · This server needs a token to read its data.'),
    h('label', { class: 'field' }, h('span', {}, '令牌 · Token'), input),
    h('p', { class: 'hint' }, '仅保存在本标签页。 · Kept in this tab only.'),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'btn', value: 'ok' }, '确定 · OK'),
      h('button', { type: 'submit', class: 'btn', value: 'cancel', formnovalidate: true }, '取消 · Cancel')));
  const dlg = h('dialog', { id: 'signin', 'aria-labelledby': 'signin-title' }, form);
  form.querySelector('h2')!.id = 'signin-title';
  document.body.append(dlg);
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      const v = dlg.returnValue === 'ok' ? input.value.trim() : '';
      dlg.remove();
      resolve(v || null);
    });
    dlg.showModal();
    input.focus();
  });
}
