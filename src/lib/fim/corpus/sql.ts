// Built-in synthetic corpus, SQL part: original code written for this project (MIT licence).
// Covers multi-table JOINs with aggregations and CTEs, window functions, and query optimisation.

import type { CorpusFile } from "./index.ts";

export const SQL_FILES: readonly CorpusFile[] = [
  {
    path: "sql/joins_aggregations.sql",
    text: String.raw`-- Sales reporting over a small e-commerce schema (PostgreSQL):
--   customers(id, name, country, created_at)
--   orders(id, customer_id, status, ordered_at)
--   order_items(order_id, product_id, quantity, unit_price)
--   products(id, name, category_id), categories(id, name)

-- Revenue and order count per customer country, only for countries with at
-- least 10 paid orders in 2024.
SELECT
  c.country,
  COUNT(DISTINCT o.id) AS paid_orders,
  SUM(oi.quantity * oi.unit_price) AS revenue,
  ROUND(SUM(oi.quantity * oi.unit_price) / COUNT(DISTINCT o.id), 2) AS avg_order_value
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
JOIN order_items AS oi ON oi.order_id = o.id
WHERE o.status = 'paid'
  AND o.ordered_at >= DATE '2024-01-01'
  AND o.ordered_at < DATE '2025-01-01'
GROUP BY c.country
HAVING COUNT(DISTINCT o.id) >= 10
ORDER BY revenue DESC;

-- Best-selling category per month, built from two CTEs (ties return all rows).
WITH monthly_category AS (
  SELECT
    date_trunc('month', o.ordered_at) AS month,
    cat.name AS category,
    SUM(oi.quantity) AS units
  FROM orders AS o
  JOIN order_items AS oi ON oi.order_id = o.id
  JOIN products AS p ON p.id = oi.product_id
  JOIN categories AS cat ON cat.id = p.category_id
  WHERE o.status IN ('paid', 'shipped')
  GROUP BY 1, 2
),
monthly_best AS (
  SELECT month, MAX(units) AS best_units
  FROM monthly_category
  GROUP BY month
)
SELECT mc.month, mc.category, mc.units
FROM monthly_category AS mc
JOIN monthly_best AS mb
  ON mb.month = mc.month AND mb.best_units = mc.units
ORDER BY mc.month;

-- Customers who registered but never ordered (anti-join with LEFT JOIN).
SELECT c.id, c.name, c.created_at
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
WHERE o.id IS NULL
ORDER BY c.created_at;

-- Conditional aggregation: one row per customer, one column per status.
SELECT
  c.name,
  COUNT(*) FILTER (WHERE o.status = 'paid') AS paid,
  COUNT(*) FILTER (WHERE o.status = 'refunded') AS refunded,
  SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
HAVING COUNT(*) FILTER (WHERE o.status = 'refunded') > 0
ORDER BY refunded DESC, c.name;
`,
  },
  {
    path: "sql/window_functions.sql",
    text: String.raw`-- Window function recipes (PostgreSQL) over:
--   daily_sales(store_id, sale_date, amount)
--   employees(id, name, department, salary, hired_at)

-- Rank employees by salary inside each department. ROW_NUMBER breaks ties
-- arbitrarily, RANK leaves gaps after ties and DENSE_RANK does not.
SELECT
  department,
  name,
  salary,
  ROW_NUMBER() OVER w AS row_num,
  RANK() OVER w AS salary_rank,
  DENSE_RANK() OVER w AS dense_salary_rank,
  salary - AVG(salary) OVER (PARTITION BY department) AS diff_from_dept_avg
FROM employees
WINDOW w AS (PARTITION BY department ORDER BY salary DESC);

-- Top 3 earners per department: filter on the window result in an outer query.
SELECT department, name, salary
FROM (
  SELECT e.*, ROW_NUMBER() OVER (PARTITION BY department ORDER BY salary DESC) AS rn
  FROM employees AS e
) AS ranked
WHERE rn <= 3;

-- Running total, 7-day moving average and day-over-day change per store.
SELECT
  store_id,
  sale_date,
  amount,
  SUM(amount) OVER (
    PARTITION BY store_id ORDER BY sale_date
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
  ) AS running_total,
  ROUND(AVG(amount) OVER (
    PARTITION BY store_id ORDER BY sale_date
    ROWS BETWEEN 6 PRECEDING AND CURRENT ROW
  ), 2) AS moving_avg_7d,
  amount - LAG(amount) OVER (PARTITION BY store_id ORDER BY sale_date) AS change,
  LEAD(sale_date) OVER (PARTITION BY store_id ORDER BY sale_date) AS next_sale_date
FROM daily_sales
ORDER BY store_id, sale_date;

-- Share of each store in the monthly total, and its percentile among stores.
SELECT
  date_trunc('month', sale_date) AS month,
  store_id,
  SUM(amount) AS month_amount,
  ROUND(100.0 * SUM(amount) / SUM(SUM(amount)) OVER (
    PARTITION BY date_trunc('month', sale_date)
  ), 1) AS pct_of_month,
  PERCENT_RANK() OVER (
    PARTITION BY date_trunc('month', sale_date) ORDER BY SUM(amount)
  ) AS pct_rank
FROM daily_sales
GROUP BY 1, 2;

-- Gaps and islands: group consecutive sale days into streaks per store.
WITH numbered AS (
  SELECT
    store_id,
    sale_date,
    sale_date - (ROW_NUMBER() OVER (PARTITION BY store_id ORDER BY sale_date))::int AS grp
  FROM daily_sales
)
SELECT store_id, MIN(sale_date) AS streak_start, MAX(sale_date) AS streak_end,
       COUNT(*) AS days
FROM numbered
GROUP BY store_id, grp
HAVING COUNT(*) >= 3
ORDER BY days DESC;
`,
  },
  {
    path: "sql/query_optimization.sql",
    text: String.raw`-- Query performance tuning in PostgreSQL: pick indexes that match the query,
-- read EXPLAIN output and rewrite correlated subqueries as joins.

-- 1. Inspect the plan. ANALYZE actually runs the query; BUFFERS shows how
--    many pages came from cache versus disk.
EXPLAIN (ANALYZE, BUFFERS)
SELECT id, ordered_at
FROM orders
WHERE customer_id = 42 AND status = 'paid'
ORDER BY ordered_at DESC
LIMIT 20;
-- A "Seq Scan on orders" followed by a Sort means every row was read.

-- 2. A composite index matching the equality columns first and the sort
--    column last lets the planner read the 20 newest rows straight from the
--    index. INCLUDE makes it covering, enabling an Index Only Scan.
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_status_date_idx
  ON orders (customer_id, status, ordered_at DESC)
  INCLUDE (id);

-- 3. A partial index stays small when queries only ever touch a few rows.
CREATE INDEX IF NOT EXISTS orders_pending_idx
  ON orders (ordered_at)
  WHERE status = 'pending';

-- 4. Functions on a column hide it from a plain index. Either index the
--    expression or, better, rewrite the predicate as a range.
-- Slow:   WHERE date_trunc('day', ordered_at) = DATE '2024-03-01'
SELECT COUNT(*)
FROM orders
WHERE ordered_at >= DATE '2024-03-01'
  AND ordered_at < DATE '2024-03-02';

CREATE INDEX IF NOT EXISTS customers_lower_email_idx ON customers (lower(email));
SELECT id FROM customers WHERE lower(email) = lower('Ada@Example.com');

-- 5. Correlated subquery: the inner SELECT may run once per customer.
SELECT c.id, c.name,
       (SELECT MAX(o.ordered_at) FROM orders AS o WHERE o.customer_id = c.id) AS last_order
FROM customers AS c;

-- Rewrite: aggregate once, then join the (much smaller) result.
SELECT c.id, c.name, lo.last_order
FROM customers AS c
LEFT JOIN (
  SELECT customer_id, MAX(ordered_at) AS last_order
  FROM orders
  GROUP BY customer_id
) AS lo ON lo.customer_id = c.id;

-- 6. IN with a subquery versus EXISTS: EXISTS stops at the first match and
--    NOT EXISTS, unlike NOT IN, behaves sensibly when the subquery has NULLs.
SELECT c.id, c.name
FROM customers AS c
WHERE NOT EXISTS (
  SELECT 1 FROM orders AS o
  WHERE o.customer_id = c.id AND o.ordered_at >= now() - INTERVAL '90 days'
);

-- 7. Keyset pagination avoids scanning and discarding OFFSET rows.
SELECT id, ordered_at
FROM orders
WHERE (ordered_at, id) < (TIMESTAMPTZ '2024-06-01 00:00+00', 5000)
ORDER BY ordered_at DESC, id DESC
LIMIT 50;

-- 8. Keep statistics fresh after bulk loads so estimates stay accurate.
ANALYZE orders;
`,
  },
  {
    path: "sql/recursive_ctes.sql",
    text: String.raw`-- Hierarchies and series with recursive CTEs (PostgreSQL):
--   employees(id, name, department, salary, hired_at, manager_id)

-- Walk the reporting chain from the top, tracking depth and the path so far.
WITH RECURSIVE org AS (
  SELECT id, name, manager_id, 0 AS depth, ARRAY[name] AS path
  FROM employees
  WHERE manager_id IS NULL
  UNION ALL
  SELECT e.id, e.name, e.manager_id, org.depth + 1, org.path || e.name
  FROM employees AS e
  JOIN org ON e.manager_id = org.id
  WHERE org.depth < 20  -- guard against accidental cycles
)
SELECT repeat('  ', depth) || name AS org_chart, array_to_string(path, ' > ') AS chain
FROM org
ORDER BY path;

-- Head count and payroll of each manager's whole subtree, not just direct reports.
WITH RECURSIVE subtree AS (
  SELECT id AS root_id, id AS member_id
  FROM employees
  UNION ALL
  SELECT s.root_id, e.id
  FROM subtree AS s
  JOIN employees AS e ON e.manager_id = s.member_id
)
SELECT
  m.name AS manager,
  COUNT(*) - 1 AS reports_total,
  SUM(e.salary) - m.salary AS team_payroll
FROM subtree AS s
JOIN employees AS m ON m.id = s.root_id
JOIN employees AS e ON e.id = s.member_id
GROUP BY m.id, m.name, m.salary
HAVING COUNT(*) > 1
ORDER BY reports_total DESC;

-- Fill missing days with zero so charts do not skip dates.
WITH days AS (
  SELECT generate_series(DATE '2024-01-01', DATE '2024-01-31', INTERVAL '1 day')::date AS day
)
SELECT d.day, COALESCE(SUM(s.amount), 0) AS amount
FROM days AS d
LEFT JOIN daily_sales AS s ON s.sale_date = d.day
GROUP BY d.day
ORDER BY d.day;
`,
  },
];
