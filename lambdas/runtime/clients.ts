import type { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { Route53RecoveryClusterClient } from '@aws-sdk/client-route53-recovery-cluster';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';
import type { WAFV2Client } from '@aws-sdk/client-wafv2';

import { AssumedRoleCredentials, type RoleCredentialsProvider } from '../adapters/assumed-role.js';
import { isElsewhere, type ServiceAccess } from '../core/accounts.js';

/**
 * Where AWS SDK clients come from. Every client is created on first use and loaded with a dynamic
 * import, so a handler pays the start-up cost of only the clients it calls. The drill passes its
 * simulated account's clients through the same interface.
 */
export interface AwsClients {
  appconfig(): Promise<AppConfigClient>;
  ecs(): Promise<ECSClient>;
  /** @param region - another region's CloudWatch (a global database's secondary publishes its lag there); the default region otherwise. */
  cloudwatch(region?: string): Promise<CloudWatchClient>;
  sns(): Promise<SNSClient>;
  /** Route 53's control plane is global; the SDK routes it. */
  route53(): Promise<Route53Client>;
  /** @param region - us-east-1 for CLOUDFRONT web ACLs; the default region otherwise. */
  wafv2(region?: string): Promise<WAFV2Client>;
  /**
   * The ARC routing-control data plane of one cluster endpoint (one client per endpoint, created on
   * first use). Each of a cluster's regional endpoints is its own host, so the ARC adapter asks for
   * them one at a time until one answers.
   * @param endpoint - a cluster endpoint URL (DescribeCluster's ClusterEndpoints[].Endpoint)
   * @param region - the endpoint's region, which signs the requests sent to it
   */
  arcCluster(endpoint: string, region: string): Promise<Route53RecoveryClusterClient>;
  /** @param region - a global database's secondary region; the default region otherwise. */
  rds(region?: string): Promise<RDSClient>;
  /** Step Functions: the starter starts executions, the approval endpoint answers waiting tasks. */
  sfn(): Promise<SFNClient>;
  /** Secrets Manager: the approval signing secret. */
  secretsManager(): Promise<SecretsManagerClient>;
  /** STS: AssumeRole of the member roles of workload accounts. */
  sts(): Promise<STSClient>;
  /**
   * The clients for a service's location (memoised): its region and, for a service in a workload
   * account, the member role's credentials under `sessionName` (the incident id: CloudTrail there
   * shows which incident made each call). These clients themselves when the service is here.
   */
  forService(access: ServiceAccess, sessionName: string): AwsClients;
}

/** The clients of one place: every member of {@link AwsClients} but `forService`. */
export type PlaceClients = Omit<AwsClients, 'forService'>;

/** Where a set of clients sends its requests: a region (default the environment's) and credentials (default the function's own). */
export interface ClientSettings {
  readonly region?: string;
  readonly credentials?: RoleCredentialsProvider;
}

/**
 * Adds `forService` to the clients of one place: `make` builds the clients of another region or
 * account; the member role's credentials come from STS through `home`'s STS client, cached per
 * (role, session) across invocations. The drill passes its simulated clients' `make`, so the role
 * chain it checks is this code.
 */
export function withServiceClients(home: PlaceClients, make: (settings: ClientSettings) => PlaceClients, options: { now?: () => number } = {}): AwsClients {
  const roles = new AssumedRoleCredentials(() => home.sts(), options.now ? { now: options.now } : {});
  const places = new Map<string, AwsClients>();
  const self: AwsClients = {
    ...home,
    forService: (access, sessionName) => {
      if (!isElsewhere(access)) return self;
      const key = `${access.region ?? ''} ${access.roleArn ?? ''} ${access.roleArn ? sessionName : ''}`;
      let clients = places.get(key);
      if (!clients) {
        const place = make({
          ...(access.region !== undefined ? { region: access.region } : {}),
          ...(access.roleArn !== undefined ? { credentials: roles.provider(access.roleArn, sessionName) } : {}),
        });
        // Locations are absolute: asked again, a place's clients answer as the home clients do.
        clients = { ...place, forService: (other, session) => self.forService(other, session) };
        places.set(key, clients);
      }
      return clients;
    },
  };
  return self;
}

/** Caches one promise per key: concurrent first uses share one client. */
export function memo<K, V>(make: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const cache = new Map<K, Promise<V>>();
  return (key: K) => {
    let value = cache.get(key);
    if (!value) cache.set(key, (value = make(key)));
    return value;
  };
}

/** The real clients, in the region of the environment (Lambda's AWS_REGION, or the CLI's profile), and those of the services elsewhere. */
export function awsClients(config: { region?: string } = {}): AwsClients {
  return withServiceClients(placeClients(config), placeClients);
}

/** The real clients of one place, each created on first use. */
function placeClients(config: ClientSettings): PlaceClients {
  const options = { ...(config.region ? { region: config.region } : {}), ...(config.credentials ? { credentials: config.credentials } : {}) };
  const regional = (region: string) => (region ? { ...options, region } : options);
  const client = <C>(load: () => Promise<C>) => memo<string, C>(() => load());
  const appconfig = client(async () => new (await import('@aws-sdk/client-appconfig')).AppConfigClient(options));
  const ecs = client(async () => new (await import('@aws-sdk/client-ecs')).ECSClient(options));
  const cloudwatch = memo<string, CloudWatchClient>(async (region) => new (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient(regional(region)));
  const rds = memo<string, RDSClient>(async (region) => new (await import('@aws-sdk/client-rds')).RDSClient(regional(region)));
  const sns = client(async () => new (await import('@aws-sdk/client-sns')).SNSClient(options));
  const sfn = client(async () => new (await import('@aws-sdk/client-sfn')).SFNClient(options));
  const secretsManager = client(async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient(options));
  const route53 = client(async () => new (await import('@aws-sdk/client-route-53')).Route53Client(options));
  const sts = client(async () => new (await import('@aws-sdk/client-sts')).STSClient(options));
  const wafv2 = memo<string, WAFV2Client>(async (region) => new (await import('@aws-sdk/client-wafv2')).WAFV2Client(regional(region)));
  // One client per endpoint (a cluster's endpoints are distinct hosts, each signed for its own region).
  const arcClients = new Map<string, Promise<Route53RecoveryClusterClient>>();
  const arcCluster = (endpoint: string, region: string): Promise<Route53RecoveryClusterClient> => {
    let client = arcClients.get(endpoint);
    if (!client) {
      client = import('@aws-sdk/client-route53-recovery-cluster').then(
        // One attempt per endpoint: the ARC adapter moves on to the cluster's next endpoint instead of
        // retrying one that may be down, as AWS recommends; the workflow retries the step after that.
        ({ Route53RecoveryClusterClient }) => new Route53RecoveryClusterClient({ ...options, endpoint, region, maxAttempts: 1 }),
      );
      arcClients.set(endpoint, client);
    }
    return client;
  };
  return {
    appconfig: () => appconfig(''),
    ecs: () => ecs(''),
    cloudwatch: (region) => cloudwatch(region ?? ''),
    sns: () => sns(''),
    route53: () => route53(''),
    wafv2: (region) => wafv2(region ?? ''),
    arcCluster,
    rds: (region) => rds(region ?? ''),
    sfn: () => sfn(''),
    secretsManager: () => secretsManager(''),
    sts: () => sts(''),
  };
}
