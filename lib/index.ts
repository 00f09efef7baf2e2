/** modrewrite: Apache mod_rewrite for Express, Connect and node:http. */
export { rewrite } from './http/rewrite.js';
export { loadRules } from './http/load-rules.js';
export { rewriteInfo } from './http/rewrite-info.js';
export type {
  RewriteOptions,
  RulesInput,
  ProxyRequest,
  ProxyHandler,
  FileHandler,
  Handler,
  Next,
  RewriteInfo,
  SiteRewriteInfo,
} from './http/types.js';
export { site } from './site/site.js';
export type { SiteHandler } from './site/virtual-hosts.js';
export type { SiteOptions, SiteRequest } from './site/site.js';
export { answerClientErrors } from './site/client-error.js';
export { htaccess } from './site/htaccess.js';
export type { HtaccessOptions } from './site/htaccess.js';
export { directorySlash } from './site/directory-slash.js';
export type { DirectorySlashOptions } from './site/directory-slash.js';
export { staticFirst } from './site/static-first.js';
export type { StaticFirstOptions } from './site/static-first.js';
export { scriptAlias } from './site/script-alias.js';
export type { ScriptRequest } from './site/script-alias.js';
export { moduleHandler } from './site/modules.js';
export { proxy } from './proxy/proxy.js';
export type { ProxyOptions, ProxyMiddleware } from './proxy/proxy.js';
export { autostart, APACHE_FAULT_STATUS, DEFAULT_FAULT_STATUS } from './proxy/faults.js';
export type { FaultKind, FaultInfo, ErrorDocument, AutostartOptions } from './proxy/faults.js';
export type { ReverseMap } from './proxy/headers.js';
export { loopbackOnlyLookup } from './proxy/lookup.js';
export { parse } from './syntax/parse.js';
export type { ParseOptions, ParseResult, ConfigContext } from './syntax/parse.js';
export type { Directive, ParsedConfig } from './syntax/ast.js';
export { compile, compileText } from './compile/compile.js';
export type { CompileOptions } from './compile/compile.js';
export { compileTyped } from './compile/typed.js';
export type { TypedRule, TypedCondition } from './compile/typed.js';
export { inheritRules } from './compile/inherit.js';
export type { RuleSet, CompiledRule, CompiledCond } from './compile/ruleset.js';
export { lint, lintSync } from './lint/lint.js';
export type { LintOptions, LintSyncOptions, LintResult } from './lint/lint.js';
export type { LintDiagnostic } from './lint/diagnostic.js';
export { LINT_RULES } from './lint/rules.js';
export type { LintCode, LintSeverity, LintRuleSpec } from './lint/rules.js';
export type { RedosAnalyser, RedosFinding } from './lint/redos.js';
export { evaluateServer, evaluateDirectory } from './engine/evaluate.js';
export type { EvaluateInput } from './engine/context.js';
export type { Outcome, Effects, Evaluation } from './engine/outcome.js';
export type { RequestView, ServerInfo } from './engine/request.js';
export type { UserMapFunction, RewriteMapSource } from './common/maps.js';
export { DEFAULT_MAP_TIMEOUT } from './engine/budget.js';
export { PRG_TIMEOUT_MS } from './common/program-map.js';
export { explain } from './explain/explain.js';
export type { ExplainSite } from './explain/explain.js';
export { explainRules, explainSync } from './explain/core.js';
export { renderTraceEvent } from './engine/trace.js';
export type {
  ExplainRequest,
  ExplainResult,
  ExplainRule,
  ExplainSource,
  ExplainStop,
  StopReason,
  TraceEvent,
  VirtualFiles,
} from './explain/core.js';
export {
  RewriteError,
  RewriteSyntaxError,
  RewriteRuntimeError,
  ERROR_CODES,
  statusErrorCode,
} from './errors.js';
export type { RewriteErrorCode, RewriteProblem, SourcePosition, StatusCause } from './errors.js';
