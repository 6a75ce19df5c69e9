import { optionalIp, recordRowsInsert } from './row-columns.js';

/** How a RouteRow becomes a row of `routes`; next hops arrive as the parallel arrays of a Nested. */
export const routeRowsInsert = recordRowsInsert(
  'routes',
  'RouteRow',
  [
    'record_routing_instance String',
    'record_family String',
    'record_prefix String',
    'record_op Int8',
    'record_next_hops Nested(tunnel_type String, destination String, label UInt32, interface String)',
    'record_protocol String',
    'record_peer String',
    'record_local_pref UInt32',
    'record_med UInt32',
    'record_as_path String',
    'record_communities Array(String)',
    'record_origin_vn String',
  ],
  [
    ['routing_instance', 'record_routing_instance'],
    ['family', 'record_family'],
    ['prefix', 'record_prefix'],
    ['op', 'record_op'],
    ['`next_hops.tunnel_type`', '`record_next_hops.tunnel_type`'],
    ['`next_hops.destination`', `arrayMap(d -> ${optionalIp('d')}, \`record_next_hops.destination\`)`],
    ['`next_hops.label`', '`record_next_hops.label`'],
    ['`next_hops.interface`', '`record_next_hops.interface`'],
    ['protocol', 'record_protocol'],
    ['peer', 'record_peer'],
    ['local_pref', 'record_local_pref'],
    ['med', 'record_med'],
    ['as_path', 'record_as_path'],
    ['communities', 'record_communities'],
    ['origin_vn', 'record_origin_vn'],
  ],
);
