// The peer benchmark's stack rendered by Jsonnet (jrsonnet): the same N apps,
// four databases, Prometheus and nginx as benches/peers/spec.py describes, as
// docker-compose.yml, prometheus.yml and nginx.conf (flat: jrsonnet -m makes no folders).
//
//   jrsonnet -m out --tla-code n=1000 -S benches/peers/stack.jsonnet
function(n)
  local pad(i) = std.format('%05d', i);
  local app(i) = 'app-' + pad(i);
  local limits(cpus, memory) = { resources: { limits: { cpus: cpus, memory: memory, pids: 512 } } };
  local logging = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };
  local confined = {
    restart: 'unless-stopped',
    security_opt: ['no-new-privileges:true'],
    cap_drop: ['ALL'],
    logging: logging,
  };
  local health(cmd) = { test: ['CMD-SHELL', cmd], interval: '10s', timeout: '5s', retries: 5, start_period: '10s' };
  local db(name, image, port, cmd, secrets, env) = confined {
    image: image,
    expose: [std.toString(port)],
    networks: ['data'],
    secrets: [{ source: s, mode: '0444' } for s in secrets],
    environment: env,
    volumes: [{ type: 'volume', source: name + '-data', target: '/data' }],
    healthcheck: health(cmd),
    deploy: limits('0.5', '1g'),
    labels: { 'futurestack.logs': 'bench.database' },
  };
  local apps = {
    [app(i)]: confined {
      image: 'registry.example.com/app-' + i + ':1.0.0',
      environment: {
        REDIS_HOST: 'redis',
        REDIS_PORT: '6379',
        REDIS_PASSWORD_FILE: '/run/secrets/redis-password',
      },
      ports: ['127.0.0.1:' + (10000 + i) + ':8000'],
      expose: ['8000'],
      networks: ['data', 'edge'],
      depends_on: { redis: { condition: 'service_healthy' } },
      secrets: [{ source: 'redis-password', mode: '0444' }],
      healthcheck: health("python -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)\""),
      deploy: limits('0.01', '32m'),
      labels: { 'futurestack.logs': 'bench.app' },
    }
    for i in std.range(0, n - 1)
  };
  local compose = {
    name: 'bench',
    services: apps {
      mysql: db('mysql', 'mysql:8.4.10', 3306, 'mysqladmin ping --host=127.0.0.1 --silent', ['mysql-root-password', 'mysql-password'], { MYSQL_ROOT_PASSWORD_FILE: '/run/secrets/mysql-root-password' }),
      postgres: db('postgres', 'postgres:17.9', 5432, 'pg_isready --host=127.0.0.1', ['postgres-password'], { POSTGRES_PASSWORD_FILE: '/run/secrets/postgres-password' }),
      redis: db('redis', 'redis:7.4.6-alpine', 6379, 'redis-cli ping', ['redis-password'], {}),
      elasticsearch: db('elasticsearch', 'elasticsearch:8.19.10', 9200, 'curl -fsS http://127.0.0.1:9200/', ['elastic-password'], { ES_JAVA_OPTS: '-Xms1g -Xmx1g' }),
      nginx: confined {
        image: 'nginx:1.30.6-alpine',
        ports: ['0.0.0.0:443:443'],
        networks: ['edge'],
        depends_on: { [app(i)]: { condition: 'service_healthy' } for i in std.range(0, n - 1) },
        volumes: [{ type: 'bind', source: './nginx/nginx.conf', target: '/etc/nginx/nginx.conf', read_only: true }],
      },
      prometheus: confined {
        image: 'prom/prometheus:v3.13.2',
        networks: ['edge'],
        volumes: [{ type: 'bind', source: './prometheus', target: '/etc/prometheus', read_only: true }],
      },
    },
    networks: { edge: { driver: 'bridge' }, data: { driver: 'bridge', internal: true } },
    volumes: { [s + '-data']: {} for s in ['mysql', 'postgres', 'redis', 'elasticsearch'] },
    secrets: {
      [s]: { environment: 'BENCH_' + std.strReplace(std.asciiUpper(s), '-', '_') }
      for s in ['mysql-root-password', 'mysql-password', 'postgres-password', 'redis-password', 'elastic-password']
    },
  };
  local prometheus = {
    global: { scrape_interval: '15s', evaluation_interval: '15s' },
    rule_files: ['rules/*.yml'],
    alerting: { alertmanagers: [{ static_configs: [{ targets: ['alertmanager:9093'] }] }] },
    scrape_configs: [
      { job_name: app(i), metrics_path: '/metrics', static_configs: [{ targets: [app(i) + ':8000'], labels: { service: app(i), kind: 'app' } }] }
      for i in std.range(0, n - 1)
    ] + [
      { job_name: e, static_configs: [{ targets: [e + '-exporter:9100'], labels: { service: e } }] }
      for e in ['mysql', 'postgres', 'redis', 'elasticsearch']
    ],
  };
  local upstream(i) = 'upstream %s {\n    server %s:8000;\n    keepalive 16;\n}\n' % [app(i), app(i)];
  local location(i) =
    '        location /api/%s/ {\n            proxy_pass http://%s/;\n            proxy_http_version 1.1;\n            proxy_set_header Host $host;\n            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n            proxy_read_timeout 60s;\n            client_max_body_size 1m;\n        }\n' % [app(i), app(i)];
  local nginx =
    'worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n' +
    std.join('', [upstream(i) for i in std.range(0, n - 1)]) +
    '    server {\n        listen 443 ssl;\n        server_name bench.example.com;\n        ssl_certificate /etc/nginx/tls/tls.crt;\n        ssl_certificate_key /etc/nginx/tls/tls.key;\n' +
    std.join('', [location(i) for i in std.range(0, n - 1)]) +
    '    }\n}\n';
  {
    'docker-compose.yml': std.manifestYamlDoc(compose, indent_array_in_object=true, quote_keys=false),
    'prometheus.yml': std.manifestYamlDoc(prometheus, indent_array_in_object=true, quote_keys=false),
    'nginx.conf': nginx,
  }
