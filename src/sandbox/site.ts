/**
 * core_webservice_get_site_info and the Moodle version and release the sandbox reports (those of the recorded site).
 */
import type { FunctionContext, WsFunction } from './context.js';
import { multiple, single, value, VALUE_DEFAULT, VALUE_OPTIONAL } from './params.js';
import type { UserRow } from './user-store.js';
import { pictureUrl, TOKEN_USER_ID } from './users.js';

export const MOODLE_VERSION = '2024100705.01';
export const MOODLE_RELEASE = '4.5.5+ (Build: 20250613)';

const ADVANCED_FEATURES: [string, number][] = [
  ['usecomments', 1], ['usetags', 1], ['enablenotes', 1], ['messaging', 1], ['enableblogs', 1],
  ['enablecompletion', 1], ['enablebadges', 1], ['messagingallusers', 0], ['enablecustomreports', 1],
  ['enableglobalsearch', 0], ['mnet_dispatcher_mode', 0], ['enablecompetencies', 1],
];

function siteInfo(ctx: FunctionContext): unknown {
  const admin = ctx.store.get(TOKEN_USER_ID) as UserRow;
  return {
    sitename: 'mdlsync sandbox',
    username: admin.username,
    firstname: admin.firstname,
    lastname: admin.lastname,
    fullname: `${admin.firstname} ${admin.lastname}`,
    lang: admin.lang,
    userid: admin.id,
    siteurl: ctx.siteUrl,
    userpictureurl: pictureUrl(ctx, 'f1', admin),
    functions: ctx.serviceFunctions.map((name) => ({ name, version: MOODLE_VERSION })),
    downloadfiles: 1,
    uploadfiles: ctx.service.uploadfiles ? 1 : 0,
    release: MOODLE_RELEASE,
    version: MOODLE_VERSION,
    mobilecssurl: '',
    advancedfeatures: ADVANCED_FEATURES.map(([name, v]) => ({ name, value: v })),
    usercanmanageownfiles: true,
    userquota: 0,
    usermaxuploadfilesize: -1,
    userhomepage: 1,
    userprivateaccesskey: ctx.store.privateKey,
    siteid: 1,
    sitecalendartype: 'gregorian',
    usercalendartype: admin.calendartype || 'gregorian',
    userissiteadmin: true,
    theme: admin.theme || 'boost',
    limitconcurrentlogins: 0,
    policyagreed: 0,
  };
}

const siteInfoReturns = single({
  sitename: value('raw'),
  username: value('raw'),
  firstname: value('raw'),
  lastname: value('raw'),
  fullname: value('raw'),
  lang: value('lang'),
  userid: value('int'),
  siteurl: value('raw'),
  userpictureurl: value('url'),
  functions: multiple(single({ name: value('raw'), version: value('text') })),
  downloadfiles: value('int', VALUE_OPTIONAL),
  uploadfiles: value('int', VALUE_OPTIONAL),
  release: value('text', VALUE_OPTIONAL),
  version: value('text', VALUE_OPTIONAL),
  mobilecssurl: value('url', VALUE_OPTIONAL),
  advancedfeatures: multiple(single({ name: value('alphanumext'), value: value('int') }), VALUE_OPTIONAL),
  usercanmanageownfiles: value('bool', VALUE_OPTIONAL),
  userquota: value('int', VALUE_OPTIONAL),
  usermaxuploadfilesize: value('int', VALUE_OPTIONAL),
  userhomepage: value('int', VALUE_OPTIONAL),
  userprivateaccesskey: value('alphanum', VALUE_OPTIONAL),
  siteid: value('int', VALUE_OPTIONAL),
  sitecalendartype: value('plugin', VALUE_OPTIONAL),
  usercalendartype: value('plugin', VALUE_OPTIONAL),
  userissiteadmin: value('bool', VALUE_OPTIONAL),
  theme: value('plugin', VALUE_OPTIONAL),
  limitconcurrentlogins: value('int', VALUE_OPTIONAL),
  policyagreed: value('int', VALUE_OPTIONAL),
});

export const SITE_FUNCTIONS: WsFunction[] = [
  {
    name: 'core_webservice_get_site_info',
    params: single({ serviceshortnames: multiple(value('alphanumext'), VALUE_DEFAULT, []) }),
    returns: siteInfoReturns,
    write: false,
    run: (ctx) => siteInfo(ctx),
  },
];
