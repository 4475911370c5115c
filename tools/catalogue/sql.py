"""SQL0xx: anti-patterns in SQL text (tools/sql/rules.py) and index suggestions (tools/sql/indexes.py).

The review bot (tools/codecheck) runs the same rules on SQL in a diff and keeps these codes.
"""

from __future__ import annotations

from tools.catalogue import BACKEND, DATA, Rule, Text


def _sql(code: str, kind: str, title: str, *, severity: str = "warning", owner: str = BACKEND, why: Text,
         fix: Text, finding_es: str) -> Rule:
    return Rule(code, kind, title, severity, owner, "sql", why, fix, finding_es)


PARSE_ERROR = _sql(
    "SQL001", "parse_error", "Statement cannot be parsed", severity="error",
    why=Text(
        en="A statement the analyzer cannot parse gets no other check, and it often fails in the database too "
           "(a syntax error or the wrong dialect).",
        es="Una sentencia que el analizador no puede leer no pasa ninguna otra comprobación, y a menudo también "
           "falla en la base de datos (un error de sintaxis o el dialecto equivocado)."),
    fix=Text(
        en="Fix the syntax or pass the right --dialect; the rest of the file was still analyzed.",
        es="Corrige la sintaxis o indica el dialecto correcto (--dialect); el resto del archivo sí se analizó."),
    finding_es="[[{statement}: ]]No se pudo analizar la sentencia (sintaxis o dialecto)",
)

SELECT_STAR = _sql(
    "SQL002", "select_star", "SELECT * fetches every column", severity="info",
    why=Text(
        en="SELECT * reads and sends every column, including wide ones the caller never uses, rules out "
           "index-only scans, and changes meaning silently when the table gains a column.",
        es="SELECT * lee y envía todas las columnas, también las anchas que nadie usa, impide los index-only "
           "scans y cambia de significado sin avisar cuando la tabla gana una columna."),
    fix=Text(
        en="List only the columns the caller uses: less I/O and network, and index-only scans become possible.",
        es="Lista solo las columnas que usa el código: menos I/O y red, y se hacen posibles los index-only "
           "scans."),
    finding_es="[[{statement}: ]]SELECT * trae todas las columnas",
)

LEADING_WILDCARD_LIKE = _sql(
    "SQL003", "leading_wildcard_like", "LIKE pattern starts with a wildcard", owner=DATA,
    why=Text(
        en="A B-tree index serves LIKE only from a fixed prefix; a pattern that starts with % or _ makes "
           "PostgreSQL read every row.",
        es="Un índice B-tree solo sirve LIKE desde un prefijo fijo; un patrón que empieza por % o _ obliga a "
           "PostgreSQL a leer todas las filas."),
    fix=Text(
        en="A B-tree cannot serve LIKE '%…'[[ ({pattern})]]: create a trigram index (CREATE EXTENSION pg_trgm; "
           "CREATE INDEX … USING gin (col gin_trgm_ops)) or use full-text search.",
        es="Un B-tree no sirve LIKE '%…'[[ ({pattern})]]: crea un índice trigram (CREATE EXTENSION pg_trgm; "
           "CREATE INDEX … USING gin (col gin_trgm_ops)) o usa búsqueda de texto completo."),
    finding_es="[[{statement}: ]]LIKE empieza por un comodín[[ ({pattern})]]: ningún índice B-tree puede servirlo",
)

FUNCTION_ON_COLUMN = _sql(
    "SQL004", "function_on_column", "Function on an indexed column in a predicate", owner=DATA,
    why=Text(
        en="An index on a column serves conditions on the bare column; wrapping it in a function or a cast "
           "(lower(email), date(created_at), ts::date) hides it from that index.",
        es="Un índice sobre una columna sirve condiciones sobre la columna tal cual; envolverla en una función "
           "o un cast (lower(email), date(created_at), ts::date) la oculta a ese índice."),
    fix=Text(
        en="The function hides the column from its index[[ ({expression})]]: create an expression index on "
           "exactly that expression, or rewrite the condition as a range on the bare column.",
        es="La función oculta la columna a su índice[[ ({expression})]]: crea un índice de expresión con esa "
           "misma expresión o reescribe la condición como rango sobre la columna."),
    finding_es="[[{statement}: ]]Una función sobre la columna en el predicado impide usar su índice"
               "[[: {expression}]]",
)

OFFSET_PAGINATION = _sql(
    "SQL005", "offset_pagination", "OFFSET pagination",
    why=Text(
        en="OFFSET n still reads the n skipped rows and throws them away, so every page is slower than the "
           "one before, and rows shift between pages when data changes.",
        es="OFFSET n sigue leyendo las n filas saltadas y las tira, así que cada página es más lenta que la "
           "anterior, y las filas se mueven entre páginas cuando cambian los datos."),
    fix=Text(
        en="Replace OFFSET with keyset pagination (WHERE (sort_key, id) > ($last_key, $last_id) ORDER BY "
           "sort_key, id LIMIT n): OFFSET reads and discards every skipped row.",
        es="Cambia OFFSET por paginación por cursor (WHERE (clave, id) > ($ultima, $id) ORDER BY clave, id "
           "LIMIT n): OFFSET lee y descarta cada fila saltada."),
    finding_es="[[{statement}: ]]Paginación con OFFSET: lee y descarta cada fila saltada",
)

DELETE_WITHOUT_WHERE = _sql(
    "SQL006", "delete_without_where", "DELETE without WHERE", severity="info",
    why=Text(
        en="A DELETE without WHERE removes every row of the table, row by row, with a WAL record for each. In "
           "real code it is nearly always intended (a flush, a migration), so it is a note, not an error; a "
           "one-row table (known from --schema) is not reported.",
        es="Un DELETE sin WHERE borra todas las filas de la tabla, una a una y con un registro WAL por fila. En "
           "código real casi siempre es intencionado (un vaciado, una migración), así que es una nota y no un "
           "error; una tabla de una sola fila (según --schema) no se reporta."),
    fix=Text(
        en="Add a WHERE clause, or use TRUNCATE if emptying the table is really intended.",
        es="Añade un WHERE, o usa TRUNCATE si de verdad hay que vaciar la tabla."),
    finding_es="[[{statement}: ]]DELETE sin WHERE: borra todas las filas",
)

UPDATE_WITHOUT_WHERE = _sql(
    "SQL007", "update_without_where", "UPDATE without WHERE", severity="info",
    why=Text(
        en="An UPDATE without WHERE writes a new version of every row in one transaction: the table doubles in "
           "size until VACUUM and every index is updated too. Backfills in migrations and admin resets do it on "
           "purpose, so it is a note; a one-row table (known from --schema) is not reported.",
        es="Un UPDATE sin WHERE escribe una versión nueva de cada fila en una sola transacción: la tabla dobla "
           "su tamaño hasta el VACUUM y también se actualizan todos los índices. Los backfills de migraciones y "
           "los reinicios de administración lo hacen a propósito, así que es una nota; una tabla de una sola "
           "fila (según --schema) no se reporta."),
    fix=Text(
        en="If every row must change, batch it on a big table (WHERE id BETWEEN … in a loop) to keep locks, WAL "
           "and bloat small; otherwise add the missing WHERE.",
        es="Si deben cambiar todas las filas, hazlo por lotes en una tabla grande (WHERE id BETWEEN … en un "
           "bucle) para limitar bloqueos, WAL y bloat; si no, añade el WHERE que falta."),
    finding_es="[[{statement}: ]]UPDATE sin WHERE: reescribe todas las filas",
)

ORDER_BY_RANDOM = _sql(
    "SQL008", "order_by_random", "ORDER BY random()",
    why=Text(
        en="ORDER BY random() gives every row a random number and sorts the whole table to keep a few rows.",
        es="ORDER BY random() da a cada fila un número aleatorio y ordena la tabla entera para quedarse con "
           "unas pocas."),
    fix=Text(
        en="ORDER BY random() sorts the whole table: pick random keys instead (TABLESAMPLE SYSTEM, or a random "
           "id range with LIMIT).",
        es="ORDER BY random() ordena la tabla entera: elige claves aleatorias (TABLESAMPLE SYSTEM, o un rango "
           "aleatorio de ids con LIMIT)."),
    finding_es="[[{statement}: ]]ORDER BY random() ordena todas las filas para elegir unas pocas",
)

NOT_IN_SUBQUERY = _sql(
    "SQL009", "not_in_subquery", "NOT IN (subquery)",
    why=Text(
        en="x NOT IN (SELECT …) is never true once the subquery returns a NULL, and PostgreSQL cannot turn it "
           "into an anti-join, so it often runs as a subplan per row.",
        es="x NOT IN (SELECT …) nunca es verdadero en cuanto la subconsulta devuelve un NULL, y PostgreSQL no "
           "puede convertirlo en un anti-join, así que suele ejecutarse como subplan por fila."),
    fix=Text(
        en="Use NOT EXISTS instead of NOT IN (subquery): one NULL makes NOT IN never true, and it plans badly.",
        es="Usa NOT EXISTS en lugar de NOT IN (subconsulta): con un NULL nunca es verdadero y planifica mal."),
    finding_es="[[{statement}: ]]NOT IN (subconsulta): nunca es verdadero si la subconsulta devuelve un NULL",
)

OR_ACROSS_COLUMNS = _sql(
    "SQL010", "or_across_columns", "OR across different columns",
    why=Text(
        en="One index serves one column list; an OR between conditions on different columns needs a "
           "BitmapOr of one index per column, or a full scan when one of them has no index.",
        es="Un índice sirve una lista de columnas; un OR entre condiciones sobre columnas distintas necesita un "
           "BitmapOr con un índice por columna, o un scan completo si alguna no tiene índice."),
    fix=Text(
        en="Split the OR across columns[[ ({columns})]] into a UNION ALL of indexed queries, or give each "
           "column its own index (BitmapOr).",
        es="Divide el OR entre columnas[[ ({columns})]] en UNION ALL de consultas indexadas, o asegura un "
           "índice por columna (BitmapOr)."),
    finding_es="[[{statement}: ]]OR entre columnas distintas[[ ({columns})]]: un solo índice no lo sirve",
)

IMPLICIT_CROSS_JOIN = _sql(
    "SQL011", "implicit_cross_join", "Comma join without a join condition",
    why=Text(
        en="A table listed after a comma in FROM with no condition linking it to the others is a cross join: "
           "every row pairs with every row, rows multiply and the result is usually wrong.",
        es="Una tabla que sigue a una coma en FROM sin ninguna condición que la una a las demás es un producto "
           "cartesiano: cada fila se combina con todas, las filas se multiplican y el resultado suele ser "
           "erróneo."),
    fix=Text(
        en="Add the join condition[[ for {table}]] (JOIN … ON): without it every row pairs with every other "
           "row; write CROSS JOIN if that is really intended.",
        es="Añade la condición del join[[ para {table}]] (JOIN … ON): sin ella cada fila se combina con todas "
           "las demás; escribe CROSS JOIN si de verdad es lo que quieres."),
    finding_es="[[{statement}: ]]Tabla unida con coma y sin condición de join[[ ({table})]]: cada fila se "
               "combina con todas",
)

MISSING_LIMIT = _sql(
    "SQL012", "missing_limit", "ORDER BY over a whole table without LIMIT", severity="info",
    why=Text(
        en="Sorting a whole table without WHERE or LIMIT sorts and returns every row: the cost and the "
           "response grow with the table. Many such queries list a handful of rows by design, so it is a "
           "warning only when a live catalog (--dsn) says the table has 10,000+ rows.",
        es="Ordenar una tabla entera sin WHERE ni LIMIT ordena y devuelve todas las filas: el coste y la "
           "respuesta crecen con la tabla. Muchas de estas consultas listan unas pocas filas a propósito, así "
           "que solo es un aviso cuando el catálogo vivo (--dsn) dice que la tabla tiene 10.000 filas o más."),
    fix=Text(
        en="Add LIMIT (and paginate): ORDER BY without LIMIT sorts and returns the whole table.",
        es="Añade LIMIT (y pagina): ORDER BY sin LIMIT ordena y devuelve la tabla entera."),
    finding_es="[[{statement}: ]]ORDER BY sobre toda la tabla sin LIMIT",
)

COUNT_STAR_FOR_EXISTENCE = _sql(
    "SQL013", "count_star_for_existence", "COUNT(*) used to test whether a row exists",
    why=Text(
        en="Comparing COUNT(*) with 0 visits every matching row just to learn whether there is one; EXISTS "
           "stops at the first.",
        es="Comparar COUNT(*) con 0 visita todas las filas que coinciden solo para saber si hay alguna; EXISTS "
           "para en la primera."),
    fix=Text(
        en="Use EXISTS (SELECT 1 …), which stops at the first row, instead of comparing COUNT(*) with 0.",
        es="Usa EXISTS (SELECT 1 …), que para en la primera fila, en lugar de COUNT(*) comparado con 0."),
    finding_es="[[{statement}: ]]COUNT(*) cuenta filas solo para saber si existe alguna",
)

CORRELATED_SUBQUERY = _sql(
    "SQL015", "correlated_subquery", "Correlated subquery in the SELECT list",
    why=Text(
        en="A subquery in the SELECT list that reads the outer row runs once per output row (a SubPlan): an "
           "aggregate per row over an unbounded result is N probes where one grouped join would do one pass. "
           "With a LIMIT, a key lookup or a top-1 per row it is advice only.",
        es="Una subconsulta en la lista del SELECT que lee la fila exterior se ejecuta una vez por fila (un "
           "SubPlan): un agregado por fila sobre un resultado sin límite son N búsquedas donde un join agrupado "
           "haría una sola pasada. Con LIMIT, una búsqueda por clave o un top-1 por fila es solo un consejo."),
    fix=Text(
        en="Join the aggregate once (LEFT JOIN (SELECT key, count(*) … GROUP BY key) USING (key)), or use "
           "LEFT JOIN LATERAL (…) ON true for a top-n per row.",
        es="Une el agregado una sola vez (LEFT JOIN (SELECT clave, count(*) … GROUP BY clave) USING (clave)), o "
           "usa LEFT JOIN LATERAL (…) ON true para un top-n por fila."),
    finding_es="[[{statement}: ]]Subconsulta correlacionada en el SELECT: se ejecuta una vez por fila",
)

CATCH_ALL_FILTER = _sql(
    "SQL016", "catch_all_filter", "Optional filter written as (col = $1 OR $1 IS NULL)",
    why=Text(
        en="(col = $1 OR $1 IS NULL) gives every call one plan; a generic plan (prepared statements after five "
           "runs, PL/pgSQL) cannot use the index on col and scans the table. PostgreSQL usually keeps re-planning "
           "per call instead, so it is a warning only for a table a live catalog (--dsn) shows to be big.",
        es="(col = $1 OR $1 IS NULL) da un único plan a todas las llamadas; un plan genérico (sentencias "
           "preparadas tras cinco ejecuciones, PL/pgSQL) no puede usar el índice de col y recorre la tabla. "
           "PostgreSQL suele volver a planificar en cada llamada, así que solo es un aviso para una tabla que el "
           "catálogo vivo (--dsn) muestra grande."),
    fix=Text(
        en="Build the WHERE clause per call with only the filters given[[ (here {filter})]], or run one query "
           "per combination.",
        es="Construye el WHERE en cada llamada solo con los filtros recibidos[[ (aquí {filter})]], o usa una "
           "consulta por combinación."),
    finding_es="[[{statement}: ]]Filtro opcional activado por un parámetro: un plan genérico no usa el índice",
)

LIMIT_WITHOUT_ORDER = _sql(
    "SQL017", "limit_without_order", "OFFSET pages without ORDER BY",
    why=Text(
        en="Without ORDER BY, the rows of each LIMIT/OFFSET page are whatever the plan meets first; a different "
           "plan, a concurrent update or a synchronized scan changes them, so pages repeat or skip rows.",
        es="Sin ORDER BY, las filas de cada página LIMIT/OFFSET son las que el plan encuentre primero; otro plan, "
           "una actualización concurrente o un scan sincronizado las cambia, y las páginas repiten o saltan "
           "filas."),
    fix=Text(
        en="ORDER BY a unique key (or keyset-paginate on it: WHERE id > $last ORDER BY id LIMIT n).",
        es="Ordena por una clave única (o pagina por keyset sobre ella: WHERE id > $ultimo ORDER BY id LIMIT n)."),
    finding_es="[[{statement}: ]]OFFSET sin ORDER BY: las páginas pueden repetir o saltar filas",
)

GIN_GIST_PREDICATE = _sql(
    "SQL018", "gin_gist_predicate", "Predicate only a GIN or GiST index can serve", owner=DATA,
    why=Text(
        en="Array containment and overlap, jsonb containment and key tests, full-text @@, ILIKE and regular "
           "expressions cannot use a B-tree: without a GIN or GiST index on the column PostgreSQL reads every "
           "row. Without a schema nobody knows whether that index exists, so it is advice; with --schema/--dsn "
           "and no such index, a warning.",
        es="La contención y el solapamiento de arrays, la contención y las claves de jsonb, el @@ de texto "
           "completo, ILIKE y las expresiones regulares no pueden usar un B-tree: sin un índice GIN o GiST en la "
           "columna, PostgreSQL lee todas las filas. Sin esquema no se sabe si ese índice existe, así que es un "
           "consejo; con --schema/--dsn y sin ese índice, un aviso."),
    fix=Text(
        en="Create the GIN/GiST index[[: {index}]] (CONCURRENTLY in production).",
        es="Crea el índice GIN/GiST[[: {index}]] (con CONCURRENTLY en producción)."),
    finding_es="[[{statement}: ]]Solo un índice GIN o GiST sirve este operador[[ ({operator} en {column})]]",
)

INDEX_SUGGESTION = _sql(
    "SQL014", "index_suggestion", "Index suggested for these statements", severity="info", owner=DATA,
    why=Text(
        en="The statements filter, join or sort on columns no known index covers; an index that matches their "
           "equality columns, then their range or sort columns, lets PostgreSQL read only the rows it needs.",
        es="Las sentencias filtran, unen u ordenan por columnas que ningún índice conocido cubre; un índice con "
           "sus columnas de igualdad y después las de rango u orden permite leer solo las filas necesarias."),
    fix=Text(
        en="Create the index[[ ({create})]] CONCURRENTLY in production and check the plan with "
           "`lmagent db explain`.",
        es="Crea el índice[[ ({create})]] con CONCURRENTLY en producción y comprueba el plan con "
           "`lmagent db explain`."),
    finding_es="Índice sugerido[[: {create}]][[ (lo usan las sentencias de las líneas {lines})]]",
)
