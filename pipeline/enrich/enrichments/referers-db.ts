/**
 * Furrow's own small referer database (medium → source → domains, search parameters), in the shape of
 * Snowplow's referer-parser `referers.json` and of the enrichment's custom `referrers` parameter. Written
 * here from public knowledge of the sites; extend it with `parameters.referrers` in the enrichment config.
 */
export interface RefererSource {
  domains: string[];
  parameters?: string[];
}
export type RefererDatabase = Record<string, Record<string, RefererSource>>;

export const REFERERS: RefererDatabase = {
  search: {
    Google: { domains: ['google.com', 'google.co.uk', 'google.de', 'google.fr', 'google.es', 'google.it', 'google.nl', 'google.ca', 'google.com.au', 'google.co.in', 'google.co.jp', 'google.com.br'], parameters: ['q', 'query'] },
    Bing: { domains: ['bing.com', 'cn.bing.com'], parameters: ['q', 'Q'] },
    Yahoo: { domains: ['search.yahoo.com', 'yahoo.com', 'uk.search.yahoo.com'], parameters: ['p', 'q'] },
    DuckDuckGo: { domains: ['duckduckgo.com'], parameters: ['q'] },
    Baidu: { domains: ['baidu.com', 'www.baidu.com'], parameters: ['wd', 'word', 'kw'] },
    Yandex: { domains: ['yandex.ru', 'yandex.com', 'ya.ru'], parameters: ['text'] },
    Ecosia: { domains: ['ecosia.org'], parameters: ['q'] },
    Qwant: { domains: ['qwant.com'], parameters: ['q'] },
    Startpage: { domains: ['startpage.com'], parameters: ['query', 'q'] },
  },
  social: {
    Facebook: { domains: ['facebook.com', 'm.facebook.com', 'l.facebook.com', 'lm.facebook.com', 'fb.me'] },
    Twitter: { domains: ['twitter.com', 't.co', 'x.com'] },
    LinkedIn: { domains: ['linkedin.com', 'lnkd.in'] },
    Reddit: { domains: ['reddit.com', 'old.reddit.com'] },
    Instagram: { domains: ['instagram.com', 'l.instagram.com'] },
    YouTube: { domains: ['youtube.com', 'youtu.be'] },
    Pinterest: { domains: ['pinterest.com'] },
    'Hacker News': { domains: ['news.ycombinator.com'] },
  },
  email: {
    Gmail: { domains: ['mail.google.com'] },
    'Outlook.com': { domains: ['outlook.live.com', 'outlook.office.com', 'mail.live.com'] },
    'Yahoo! Mail': { domains: ['mail.yahoo.com'] },
    'Proton Mail': { domains: ['mail.proton.me'] },
  },
};
