/** The HTTP statuses httpd knows, and their reason phrases. */

/**
 * http_protocol.c's status_lines as Apache 2.4.71 (Debian) has them: the statuses httpd knows
 * (ap_index_of_response). Any other is unknown: `R=418` or `ErrorDocument 425` is a configuration
 * error, and an unknown status answered anyway (`Redirect 418 /x`) goes out as 500 with the 500
 * page (basic_http_header_check's ap_get_status_line, ap_send_error_response's status_lines[idx]).
 * 103 is not in the 2.4.x source but is in 2.4.71 (recorded: `R=103` answers "103 Early Hints").
 */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  205: 'Reset Content',
  206: 'Partial Content',
  207: 'Multi-Status',
  208: 'Already Reported',
  226: 'IM Used',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  423: 'Locked',
  424: 'Failed Dependency',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  506: 'Variant Also Negotiates',
  507: 'Insufficient Storage',
  508: 'Loop Detected',
  510: 'Not Extended',
  511: 'Network Authentication Required',
};

/** Whether httpd knows `status` (ap_index_of_response finds it in status_lines). */
export function isKnownStatus(status: number): boolean {
  return Object.prototype.hasOwnProperty.call(STATUS_TEXT, status);
}

/** The status an answer of `status` goes out with: an unknown one as 500 (see STATUS_TEXT). */
export function wireStatus(status: number): number {
  return isKnownStatus(status) ? status : 500;
}
