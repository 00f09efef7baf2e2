/**
 * Debian's /etc/apache2/mods-available/mime.conf (apache2 2.4.71, enabled by default), without
 * its comments: the server-level mod_mime configuration every Debian Apache starts with, and so
 * the layer below a site's own configuration in site() (lib/site/mime.ts). `TypesConfig
 * /etc/mime.types` is left out: modrewrite's built-in table stands for it (static-file.ts).
 */
export const DEBIAN_MIME_CONF = `
AddType application/x-compress .Z
AddType application/x-gzip .gz .tgz
AddType application/x-bzip2 .bz2
AddLanguage am .amh
AddLanguage ar .ara
AddLanguage be .be
AddLanguage bg .bg
AddLanguage bn .bn
AddLanguage br .br
AddLanguage bs .bs
AddLanguage ca .ca
AddLanguage cs .cz .cs
AddLanguage cy .cy
AddLanguage da .da
AddLanguage da .dk
AddLanguage de .de
AddLanguage dz .dz
AddLanguage el .el
AddLanguage en .en
AddLanguage eo .eo
RemoveType  es
AddLanguage es .es
AddLanguage et .et
AddLanguage eu .eu
AddLanguage fa .fa
AddLanguage fi .fi
AddLanguage fr .fr
AddLanguage ga .ga
AddLanguage gl .glg
AddLanguage gu .gu
AddLanguage he .he
AddLanguage hi .hi
AddLanguage hr .hr
AddLanguage hu .hu
AddLanguage hy .hy
AddLanguage id .id
AddLanguage is .is
AddLanguage it .it
AddLanguage ja .ja
AddLanguage ka .ka
AddLanguage kk .kk
AddLanguage km .km
AddLanguage kn .kn
AddLanguage ko .ko
AddLanguage ku .ku
AddLanguage lo .lo
AddLanguage lt .lt
AddLanguage ltz .ltz
AddLanguage lv .lv
AddLanguage mg .mg
AddLanguage mk .mk
AddLanguage ml .ml
AddLanguage mr .mr
AddLanguage ms .msa
AddLanguage nb .nob
AddLanguage ne .ne
AddLanguage nl .nl
AddLanguage nn .nn
AddLanguage no .no
AddLanguage pa .pa
AddLanguage pl .po
AddLanguage pt-BR .pt-br
AddLanguage pt .pt
AddLanguage ro .ro
AddLanguage ru .ru
AddLanguage sa .sa
AddLanguage se .se
AddLanguage si .si
AddLanguage sk .sk
AddLanguage sl .sl
AddLanguage sq .sq
AddLanguage sr .sr
AddLanguage sv .sv
AddLanguage ta .ta
AddLanguage te .te
AddLanguage th .th
AddLanguage tl .tl
RemoveType  tr
AddLanguage tr .tr
AddLanguage uk .uk
AddLanguage ur .ur
AddLanguage vi .vi
AddLanguage wo .wo
AddLanguage xh .xh
AddLanguage zh-CN .zh-cn
AddLanguage zh-TW .zh-tw
AddCharset us-ascii     .ascii      .us-ascii
AddCharset ISO-8859-1   .iso8859-1  .latin1
AddCharset ISO-8859-2   .iso8859-2  .latin2 .cen
AddCharset ISO-8859-3   .iso8859-3  .latin3
AddCharset ISO-8859-4   .iso8859-4  .latin4
AddCharset ISO-8859-5   .iso8859-5  .cyr .iso-ru
AddCharset ISO-8859-6   .iso8859-6  .arb .arabic
AddCharset ISO-8859-7   .iso8859-7  .grk .greek
AddCharset ISO-8859-8   .iso8859-8  .heb .hebrew
AddCharset ISO-8859-9   .iso8859-9  .latin5 .trk
AddCharset ISO-8859-10  .iso8859-10 .latin6
AddCharset ISO-8859-13  .iso8859-13
AddCharset ISO-8859-14  .iso8859-14 .latin8
AddCharset ISO-8859-15  .iso8859-15 .latin9
AddCharset ISO-8859-16  .iso8859-16 .latin10
AddCharset ISO-2022-JP  .iso2022-jp .jis
AddCharset ISO-2022-KR  .iso2022-kr .kis
AddCharset ISO-2022-CN  .iso2022-cn .cis
AddCharset Big5         .Big5       .big5 .b5
AddCharset cn-Big5      .cn-big5
AddCharset WINDOWS-1251     .cp-1251    .win-1251
AddCharset CP866            .cp866
AddCharset KOI8             .koi8
AddCharset KOI8-E           .koi8-e
AddCharset KOI8-r           .koi8-r     .koi8-ru
AddCharset KOI8-U           .koi8-u
AddCharset KOI8-ru          .koi8-uk    .ua
AddCharset ISO-10646-UCS-2  .ucs2
AddCharset ISO-10646-UCS-4  .ucs4
AddCharset UTF-7            .utf7
AddCharset UTF-8            .utf8
AddCharset UTF-16           .utf16
AddCharset UTF-16BE         .utf16be
AddCharset UTF-16LE         .utf16le
AddCharset UTF-32           .utf32
AddCharset UTF-32BE         .utf32be
AddCharset UTF-32LE         .utf32le
AddCharset euc-cn           .euc-cn
AddCharset euc-gb           .euc-gb
AddCharset euc-jp           .euc-jp
AddCharset euc-kr           .euc-kr
AddCharset EUC-TW           .euc-tw
AddCharset gb2312           .gb2312     .gb
AddCharset iso-10646-ucs-2  .ucs-2      .iso-10646-ucs-2
AddCharset iso-10646-ucs-4  .ucs-4      .iso-10646-ucs-4
AddCharset shift_jis        .shift_jis  .sjis
AddCharset BRF              .brf
AddHandler type-map var
AddType text/html .shtml
`;
