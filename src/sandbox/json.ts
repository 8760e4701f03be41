/** PHP json_encode() as Moodle's scripts call it (the REST server, upload.php). */

/** PHP json_encode() defaults: slashes and non-ASCII characters escaped. */
export function phpJsonEncode(v: unknown): string {
  return JSON.stringify(v)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
