import { ENDPOINTS } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { joinPageLang } from '../src/http/pages/join-page.js';
import { testRelay } from './helpers.js';

describe('GET /join: the page an invite link opens', () => {
  test('is HTML with no script, a CSP that allows none, and no Referer', async () => {
    const { app } = await testRelay();
    const res = await app.inject({ method: 'GET', url: ENDPOINTS.joinPage.path });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/);
    expect(res.body).not.toMatch(/<script|<img|<iframe|<form|<link|\son\w+=|javascript:|https?:\/\//i);
  });

  test('speaks Spanish by default and by Accept-Language, English when asked; ?lang= wins; nonsense falls back', async () => {
    const { app } = await testRelay();
    const get = async (url: string, lang?: string) => {
      const res = await app.inject({ method: 'GET', url, headers: lang ? { 'accept-language': lang } : {} });
      expect(res.statusCode).toBe(200);
      return { lang: /<html lang="(\w+)">/.exec(res.body)?.[1], header: res.headers['content-language'] };
    };
    expect(await get('/join')).toEqual({ lang: 'es', header: 'es' });
    expect(await get('/join', 'en-US,en;q=0.9')).toMatchObject({ lang: 'en' });
    expect(await get('/join', 'fr;q=1, es-MX;q=0.8, en;q=0.9')).toMatchObject({ lang: 'en' });
    expect(await get('/join?lang=es', 'en-US')).toMatchObject({ lang: 'es' });
    expect(await get('/join?lang=de', 'en')).toMatchObject({ lang: 'en' });
    expect(await get(`/join?lang=${'x'.repeat(100)}`)).toMatchObject({ lang: 'es' });
    expect(await get('/join?lang=en&lang=es')).toMatchObject({ lang: 'es' });
  });

  test('Accept-Language parsing ignores q=0 and garbage', () => {
    expect(joinPageLang(undefined, 'en;q=0, es;q=0.1')).toBe('es');
    expect(joinPageLang(undefined, ';;;,,,q=')).toBe('es');
    expect(joinPageLang(undefined, `${'en,'.repeat(1000)}`)).toBe('en');
  });
});
