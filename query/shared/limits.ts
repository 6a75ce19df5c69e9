import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type GraphQLNamedType,
  type GraphQLSchema,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { errorStatus } from '../../common/errors.js';
import type { QuerySettings } from '../../common/warehouse/warehouse.js';

/**
 * What one GraphQL request may ask for, checked before any resolver runs, and what each warehouse
 * read it makes may cost the engine. Embedded, all reads and the writer's inserts share one engine
 * queue: a request over these limits is refused with QUERY_TOO_EXPENSIVE and the limit's name.
 */
export interface RequestLimits {
  maxAliases: number;
  maxDepth: number;
  maxTokens: number;
  maxCost: number;
  maxListValues: number;
  maxFilters: number;
  maxArgumentValues: number;
}

/**
 * What a field that reads the warehouse costs: each root field runs at least one read, and so do
 * the nested fields a domain names (Flow.alarms: one read for all the flows of the request). Any
 * other field costs 1.
 */
export const READ_FIELD_COST = 100;

const tooExpensive = (message: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: errorStatus.RESOURCE_EXHAUSTED.graphql } });

/**
 * The envelop plugin that applies the limits: tokens at parse, shape at validation, arguments before
 * execution. `nestedReads`: the fields below the root that read the warehouse, as Type.field.
 */
export function requestLimits(limits: RequestLimits, nestedReads: ReadonlySet<string> = new Set()): Plugin {
  return {
    onParse({ setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parse(source, { ...options, maxTokens: limits.maxTokens });
        } catch (err) {
          if (err instanceof GraphQLError && /contains more th\w+ \d+ tokens/.test(err.message))
            throw tooExpensive(`the query has more than ${limits.maxTokens} tokens (query-max-tokens)`);
          throw err;
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(shapeRule(limits, nestedReads));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = argumentRefusal(args.document, args.variableValues ?? {}, limits);
      if (refusal) setResultAndStopExecution({ errors: [tooExpensive(refusal)] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = argumentRefusal(args.document, args.variableValues ?? {}, limits);
      if (refusal) setResultAndStopExecution({ errors: [tooExpensive(refusal)] });
    },
  };
}

/** Aliases, depth and cost of each operation, fragments followed, before anything runs. */
function shapeRule(limits: RequestLimits, nestedReads: ReadonlySet<string>) {
  const reading = [...nestedReads].join(', ');
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions)
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    return {
      Document() {
        let aliases = 0;
        for (const d of document.definitions)
          if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION)
            aliases += countAliases(d.selectionSet);
        if (aliases > limits.maxAliases)
          context.reportError(
            tooExpensive(
              `the query has ${aliases} aliases, more than ${limits.maxAliases} (query-max-aliases)`,
            ),
          );
      },
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > limits.maxDepth)
          context.reportError(
            tooExpensive(`the query is ${depth} levels deep, more than ${limits.maxDepth} (query-max-depth)`),
          );
        const cost = new Cost(schema, fragments, nestedReads, limits.maxCost).of(
          operation.selectionSet,
          schema.getRootType(operation.operation) ?? undefined,
          true,
        );
        if (cost > limits.maxCost)
          context.reportError(
            tooExpensive(
              `the query costs more than ${limits.maxCost} (query-max-cost; ${READ_FIELD_COST} a field that reads the warehouse: a root field${reading ? `, ${reading}` : ''}; 1 any other)`,
            ),
          );
      },
    };
  };
}

function countAliases(set: SelectionSetNode | undefined): number {
  let n = 0;
  for (const s of set?.selections ?? []) {
    if (s.kind === Kind.FIELD) n += (s.alias ? 1 : 0) + countAliases(s.selectionSet);
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countAliases(s.selectionSet);
  }
  return n;
}

/** Levels of fields below `set` (ofType chains as one); a fragment being expanded is not entered again (cycles are refused elsewhere). */
function depthOf(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  expanding: Set<string>,
): number {
  let deepest = 0;
  for (const s of set?.selections ?? []) {
    if (s.kind === Kind.FIELD) {
      // An introspection type's ofType is one object, null past the type's own wrapping: the
      // introspection query GraphiQL sends nests it 7 deep, which makes nothing larger.
      const level = s.name.value === 'ofType' ? 0 : 1;
      deepest = Math.max(deepest, level + depthOf(s.selectionSet, fragments, expanding));
    } else if (s.kind === Kind.INLINE_FRAGMENT)
      deepest = Math.max(deepest, depthOf(s.selectionSet, fragments, expanding));
    else {
      const fragment = fragments.get(s.name.value);
      if (!fragment || expanding.has(s.name.value)) continue;
      expanding.add(s.name.value);
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, expanding));
      expanding.delete(s.name.value);
    }
  }
  return deepest;
}

/**
 * The cost of a selection set, each fragment counted where it is spread; stops counting once over
 * `cap`. The type of each set's parent is followed, so that a nested field is known by its coordinate.
 */
class Cost {
  private readonly expanding = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly nestedReads: ReadonlySet<string>,
    private readonly cap: number,
  ) {}

  of(set: SelectionSetNode | undefined, parent: GraphQLNamedType | undefined, root: boolean): number {
    let cost = 0;
    for (const s of set?.selections ?? []) {
      if (cost > this.cap) break;
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        // __typename and introspection at the root read nothing.
        const reads = root ? !name.startsWith('__') : this.nestedReads.has(`${parent?.name}.${name}`);
        cost += (reads ? READ_FIELD_COST : 1) + this.of(s.selectionSet, this.fieldType(parent, name), false);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        cost += this.of(s.selectionSet, this.typeNamed(s.typeCondition?.name.value) ?? parent, root);
      } else {
        const fragment = this.fragments.get(s.name.value);
        if (!fragment || this.expanding.has(s.name.value)) continue;
        this.expanding.add(s.name.value);
        cost += this.of(fragment.selectionSet, this.typeNamed(fragment.typeCondition.name.value), root);
        this.expanding.delete(s.name.value);
      }
    }
    return cost;
  }

  /** The named type of a field of `parent`; undefined when unknown (validation refuses such a field). */
  private fieldType(parent: GraphQLNamedType | undefined, name: string): GraphQLNamedType | undefined {
    if (!isObjectType(parent) && !isInterfaceType(parent)) return undefined;
    const field = parent.getFields()[name];
    return field ? getNamedType(field.type) : undefined;
  }

  private typeNamed(name: string | undefined): GraphQLNamedType | undefined {
    return name === undefined ? undefined : this.schema.getType(name);
  }
}

/**
 * Why the arguments are too large, or undefined: a list longer than maxListValues (maxFilters for a
 * list of input objects), or more than maxArgumentValues values in all arguments together. Variables
 * are counted as sent (their defaults when not sent).
 */
export function argumentRefusal(
  document: DocumentNode,
  variables: Readonly<Record<string, unknown>>,
  limits: RequestLimits,
): string | undefined {
  const defaults = new Map<string, ValueNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.OPERATION_DEFINITION)
      for (const v of d.variableDefinitions ?? [])
        if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  let values = 0;
  let refusal: string | undefined;
  const list = (length: number, ofObjects: boolean, where: string): void => {
    const max = ofObjects ? limits.maxFilters : limits.maxListValues;
    const name = ofObjects ? 'query-max-filters' : 'query-max-list-values';
    if (length > max) refusal ??= `${where}: ${length} values, more than ${max} (${name})`;
  };
  const walkJson = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      list(
        value.length,
        value.some((v) => typeof v === 'object' && v !== null),
        where,
      );
      for (const v of value) walkJson(v, where);
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walkJson(v, `${where}.${k}`);
    } else values++;
  };
  const walk = (node: ValueNode, where: string): void => {
    if (refusal) return;
    switch (node.kind) {
      case Kind.VARIABLE: {
        const name = node.name.value;
        if (name in variables) walkJson(variables[name], where);
        else {
          const fallback = defaults.get(name);
          if (fallback) walk(fallback, where);
        }
        return;
      }
      case Kind.LIST:
        list(
          node.values.length,
          node.values.some((v) => v.kind === Kind.OBJECT),
          where,
        );
        for (const v of node.values) walk(v, where);
        return;
      case Kind.OBJECT:
        for (const f of node.fields) walk(f.value, `${where}.${f.name.value}`);
        return;
      default:
        values++;
    }
  };
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION) continue;
    const fields = (set: SelectionSetNode | undefined): void => {
      for (const s of set?.selections ?? []) {
        if (s.kind === Kind.FIELD) {
          for (const a of s.arguments ?? []) walk(a.value, `${s.name.value}(${a.name.value})`);
          fields(s.selectionSet);
        } else if (s.kind === Kind.INLINE_FRAGMENT) fields(s.selectionSet);
      }
    };
    fields(d.selectionSet);
  }
  if (refusal) return refusal;
  if (values > limits.maxArgumentValues)
    return `the arguments hold ${values} values, more than ${limits.maxArgumentValues} (query-max-argument-values)`;
  return undefined;
}

/** Room in the engine's parser for the largest request the argument limits allow, with a margin. */
const AST_ELEMENTS = 1_000_000;

/** The ClickHouse settings every read of the API carries, from the query options. */
export function readSettings(config: {
  queryTimeout: number;
  queryMaxRowsToRead: number;
  queryMaxMemory: number;
  queryMaxQuerySize: number;
  queryMaxThreads: number;
}): QuerySettings {
  return {
    max_execution_time: config.queryTimeout / 1000,
    max_rows_to_read: config.queryMaxRowsToRead,
    max_memory_usage: config.queryMaxMemory,
    max_query_size: config.queryMaxQuerySize,
    // 0 leaves the engine's own default (as many threads as cores).
    ...(config.queryMaxThreads > 0 && { max_threads: config.queryMaxThreads }),
    // The arguments' limits bound the SQL a request makes: a filter value is some 50 AST elements
    // (an address matched at either end), so 1000 of them need more than the default 50 000.
    max_ast_elements: AST_ELEMENTS,
    max_expanded_ast_elements: AST_ELEMENTS,
  };
}
