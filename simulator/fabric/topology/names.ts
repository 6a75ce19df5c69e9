/** The names and subnets of the cluster's shared networks and IPAMs, which builders and users refer to. */
export const DOMAIN = 'default-domain';
export const POD_IPAM = `${DOMAIN}:k8s-default:k8s-default-pod-ipam`;
export const SERVICE_IPAM = `${DOMAIN}:k8s-default:k8s-default-service-ipam`;
export const POD_NETWORK = `${DOMAIN}:k8s-default:k8s-default-pod-network`;
export const SERVICE_NETWORK = `${DOMAIN}:k8s-default:k8s-default-service-network`;
export const POD_SUBNET = '10.32.0.0/12';
export const SERVICE_SUBNET = '10.96.0.0/12';
export const SEAMLESS_NETWORK = `${DOMAIN}:k8s-contrail:seamless`;
export const V6_NETWORK = `${DOMAIN}:k8s-contrail:v6-net`;
export const V6_SUBNET = 'fd00:100:64::/64';
