// The dashboard's last runs, read straight from the index
// project_runs_project_created_idx (project_id, created_at DESC, id DESC).
//
// A project's newest run is its first entry in the index. An executor index
// scan (LIMIT 1) descends to it and then checks every other entry of the
// project on the same leaf page, about a hundred for a project with a
// hundred runs, before returning the first; for a dashboard of 100 projects
// that is a quarter of the time. Here each project costs one descent, a
// binary search in the leaf page, and the entries up to the first run the
// snapshot sees, as nbtree's own _bt_first finds them.
#include "pg/last_run.hpp"

extern "C" {
#include "access/nbtree.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "executor/tuptable.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

#include "pg/config.hpp"
#include "pg/guard.hpp"

namespace project_runs::pg {

bool dashboard_index_read = true;
uint64 dashboard_index_reads = 0;
uint64 dashboard_unread_projects = 0;

void define_last_run_settings() {
    DefineCustomBoolVariable(
        "project_runs.dashboard_index_read",
        "Lets project_runs_dashboard read each project's last run straight from the index.",
        "Off: it reads them with an SQL statement through the executor. The result is the same.",
        &dashboard_index_read, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

namespace {

constexpr const char* index_name = "project_runs_project_created_idx";

// Index entries of one project read before the executor takes over: more
// than one only when the newest runs are not visible to the snapshot yet
// (being inserted) or are dead versions.
constexpr int max_entries = 16;

// The btree operator family of a type's default operator class, looked up
// once per backend (a default operator class cannot be changed, only
// dropped with its type).
Oid default_btree_family(Oid type) {
    Oid opclass = GetDefaultOpClass(type, BTREE_AM_OID);
    return OidIsValid(opclass) ? get_opclass_family(opclass) : InvalidOid;
}

// True when index is the extension's index on project_runs as the
// extension script creates it, and usable by every snapshot: btree,
// (project_id, created_at DESC, id DESC) with the default operator classes,
// no expression, no predicate, valid.
bool index_is_usable(Relation index, const Catalog& cat) {
    static Oid uuid_family = InvalidOid, timestamptz_family = InvalidOid;
    if (!OidIsValid(uuid_family)) uuid_family = default_btree_family(UUIDOID);
    if (!OidIsValid(timestamptz_family)) timestamptz_family = default_btree_family(TIMESTAMPTZOID);
    Form_pg_index form = index->rd_index;
    if (index->rd_rel->relkind != RELKIND_INDEX || index->rd_rel->relam != BTREE_AM_OID)
        return false;
    if (form->indrelid != cat.runs_relid || !form->indisvalid || !form->indisready ||
        !form->indislive || form->indcheckxmin)
        return false;
    if (form->indnatts != 3 || form->indnkeyatts != 3 ||
        !heap_attisnull(index->rd_indextuple, Anum_pg_index_indexprs, nullptr) ||
        !heap_attisnull(index->rd_indextuple, Anum_pg_index_indpred, nullptr))
        return false;
    const AttrNumber columns[3] = {cat.runs.project_id, cat.runs.created_at, cat.runs.id};
    const int16 descending = INDOPTION_DESC | INDOPTION_NULLS_FIRST;
    const int16 options[3] = {0, descending, descending};
    const Oid families[3] = {uuid_family, timestamptz_family, uuid_family};
    for (int i = 0; i < 3; i++) {
        if (form->indkey.values[i] != columns[i] || index->rd_indoption[i] != options[i] ||
            index->rd_opfamily[i] != families[i] || !OidIsValid(families[i]))
            return false;
    }
    return true;
}

// What one call reads with.
struct Reader {
    Relation index;
    Snapshot snapshot;
    BTScanInsertData key;  // project_id = the project
    IndexFetchTableData* fetch;
    TupleTableSlot* slot;
};

// The heap TIDs of the first index entries of a project (at most
// max_entries), in index order. *complete: no other entry of the project
// follows them. As _bt_first: descend to the leaf page where the first
// entry >= the key is, find it by binary search, read on to the right.
int first_entries(Reader& r, Datum project, ItemPointerData* tids, bool* complete) {
    r.key.scankeys[0].sk_argument = project;
    Buffer buffer;
    BTStack stack = _bt_search(r.index, &r.key, &buffer, BT_READ, r.snapshot);
    _bt_freestack(stack);
    *complete = true;
    if (!BufferIsValid(buffer)) return 0;  // the index is empty
    Page page = BufferGetPage(buffer);
    BTPageOpaque opaque = BTPageGetOpaque(page);
    OffsetNumber low = P_FIRSTDATAKEY(opaque);
    OffsetNumber high = OffsetNumberNext(PageGetMaxOffsetNumber(page));
    while (low < high) {
        OffsetNumber middle = low + (high - low) / 2;
        if (_bt_compare(r.index, &r.key, page, middle) > 0)
            low = OffsetNumberNext(middle);
        else
            high = middle;
    }
    OffsetNumber offset = low;
    int count = 0;
    for (;;) {
        OffsetNumber last = PageGetMaxOffsetNumber(page);
        for (; !P_IGNORE(opaque) && offset <= last; offset = OffsetNumberNext(offset)) {
            if (_bt_compare(r.index, &r.key, page, offset) != 0) {
                _bt_relbuf(r.index, buffer);
                return count;
            }
            IndexTuple entry =
                reinterpret_cast<IndexTuple>(PageGetItem(page, PageGetItemId(page, offset)));
            int postings = BTreeTupleIsPosting(entry) ? BTreeTupleGetNPosting(entry) : 1;
            for (int i = 0; i < postings; i++) {
                if (count == max_entries) {
                    *complete = false;
                    _bt_relbuf(r.index, buffer);
                    return count;
                }
                tids[count++] =
                    BTreeTupleIsPosting(entry) ? *BTreeTupleGetPostingN(entry, i) : entry->t_tid;
            }
        }
        if (P_RIGHTMOST(opaque)) break;
        // The project's entries may go on in the right sibling (a deleted or
        // half-dead page is passed over, as nbtree's scans do).
        buffer = _bt_relandgetbuf(r.index, buffer, opaque->btpo_next, BT_READ);
        page = BufferGetPage(buffer);
        TestForOldSnapshot(r.snapshot, r.index, page);
        opaque = BTPageGetOpaque(page);
        offset = P_FIRSTDATAKEY(opaque);
    }
    _bt_relbuf(r.index, buffer);
    return count;
}

enum class Found { run, none, unknown };

// The last run of a project as a row of desc (n first), or none, or
// unknown when max_entries entries held no visible run.
Found last_run(Reader& r, Datum project, int64 n, const Catalog& cat, TupleDesc desc,
               HeapTuple* row) {
    ItemPointerData tids[max_entries];
    bool complete;
    int count = first_entries(r, project, tids, &complete);
    // Counted as an index scan counts itself (pg_stat_user_indexes).
    pgstat_count_index_scan(r.index);
    for (int i = 0; i < count; i++) {
        bool call_again = false, all_dead = false;
        pgstat_count_index_tuples(r.index, 1);
        if (!table_index_fetch_tuple(r.fetch, &tids[i], r.snapshot, r.slot, &call_again, &all_dead))
            continue;
        pgstat_count_heap_fetch(r.index);
        const AttrNumber columns[5] = {cat.runs.id, cat.runs.status, cat.runs.created_at,
                                       cat.runs.started_at, cat.runs.finished_at};
        Datum values[6];
        bool nulls[6] = {false};
        values[0] = Int64GetDatum(n);
        for (int c = 0; c < 5; c++) values[c + 1] = slot_getattr(r.slot, columns[c], &nulls[c + 1]);
        *row = heap_form_tuple(desc, values, nulls);
        ExecClearTuple(r.slot);
        return Found::run;
    }
    return complete ? Found::none : Found::unknown;
}

// The rows' descriptor: the columns of the statement dashboard_last_runs.
TupleDesc last_runs_desc(const Catalog& cat) {
    TupleDesc desc = CreateTemplateTupleDesc(6);
    TupleDescInitEntry(desc, 1, "n", INT8OID, -1, 0);
    TupleDescInitEntry(desc, 2, "id", UUIDOID, -1, 0);
    TupleDescInitEntry(desc, 3, "status", cat.status_type, -1, 0);
    TupleDescInitEntry(desc, 4, "created_at", TIMESTAMPTZOID, -1, 0);
    TupleDescInitEntry(desc, 5, "started_at", TIMESTAMPTZOID, -1, 0);
    TupleDescInitEntry(desc, 6, "finished_at", TIMESTAMPTZOID, -1, 0);
    return desc;
}

}  // namespace

bool read_last_runs(const SPITupleTable* projects, uint64 count, LastRuns* out) {
    if (!dashboard_index_read || IsolationIsSerializable()) return false;
    const Catalog& cat = catalog();
    return guard([&]() -> bool {
        if (!ActiveSnapshotSet() || !IsMVCCSnapshot(GetActiveSnapshot())) return false;
        Oid index_oid = get_relname_relid(index_name, cat.schema_oid);
        if (!OidIsValid(index_oid)) return false;
        Relation index = try_relation_open(index_oid, AccessShareLock);
        if (index == nullptr) return false;
        if (!index_is_usable(index, cat)) {
            relation_close(index, AccessShareLock);
            return false;
        }
        // Locks as an index scan takes them, held to the end of the transaction.
        Relation heap = table_open(cat.runs_relid, AccessShareLock);
        Reader r{};
        r.index = index;
        r.snapshot = GetActiveSnapshot();
        _bt_metaversion(index, &r.key.heapkeyspace, &r.key.allequalimage);
        r.key.anynullkeys = false;
        r.key.nextkey = false;
        r.key.pivotsearch = false;
        r.key.scantid = nullptr;
        r.key.keysz = 1;
        ScanKeyEntryInitializeWithInfo(&r.key.scankeys[0], 0, 1, InvalidStrategy, InvalidOid,
                                       index->rd_indcollation[0],
                                       index_getprocinfo(index, 1, BTORDER_PROC), (Datum)0);
        r.fetch = table_index_fetch_begin(heap);
        r.slot = table_slot_create(heap, nullptr);
        TupleDesc desc = last_runs_desc(cat);
        HeapTuple* by_project = static_cast<HeapTuple*>(palloc0(sizeof(HeapTuple) * (count + 1)));
        uint64* unread = static_cast<uint64*>(palloc(sizeof(uint64) * (count + 1)));
        uint64 unread_count = 0;
        for (uint64 n = 1; n <= count; n++) {
            bool is_null;
            Datum project = heap_getattr(projects->vals[n - 1], 1, projects->tupdesc, &is_null);
            if (is_null) continue;
            if (last_run(r, project, static_cast<int64>(n), cat, desc, &by_project[n]) ==
                Found::unknown)
                unread[unread_count++] = n;
        }
        ExecDropSingleTupleTableSlot(r.slot);
        table_index_fetch_end(r.fetch);
        table_close(heap, NoLock);
        index_close(index, NoLock);
        out->desc = desc;
        out->by_project = by_project;
        out->unread = unread;
        out->unread_count = unread_count;
        dashboard_index_reads++;
        dashboard_unread_projects += unread_count;
        return true;
    });
}

Datum project_ids_at(const SPITupleTable* projects, const uint64* positions, uint64 count) {
    return guard([&] {
        Datum* ids = static_cast<Datum*>(palloc(sizeof(Datum) * (count + 1)));
        for (uint64 i = 0; i < count; i++) {
            bool is_null;
            ids[i] = heap_getattr(projects->vals[positions[i] - 1], 1, projects->tupdesc, &is_null);
        }
        return PointerGetDatum(
            construct_array(ids, static_cast<int>(count), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
    });
}

void put_executor_rows(LastRuns* runs, const SPITupleTable* rows, uint64 row_count, uint64 count) {
    guard([&] {
        bool all = runs->desc == nullptr;
        uint64 limit = all ? count : runs->unread_count;
        if (all) {
            runs->desc = rows->tupdesc;
            runs->by_project = static_cast<HeapTuple*>(palloc0(sizeof(HeapTuple) * (count + 1)));
        }
        for (uint64 i = 0; i < row_count; i++) {
            bool is_null;
            int64 n = DatumGetInt64(heap_getattr(rows->vals[i], 1, rows->tupdesc, &is_null));
            if (is_null || n < 1 || static_cast<uint64>(n) > limit)
                elog(ERROR, "dashboard row out of range");
            heap_getattr(rows->vals[i], 2, rows->tupdesc, &is_null);  // the run's id
            if (is_null) continue;                                    // no run
            if (all) {
                runs->by_project[n] = rows->vals[i];
                continue;
            }
            // The row in the index read's descriptor, at the project's position.
            uint64 position = runs->unread[n - 1];
            Datum values[6];
            bool nulls[6];
            heap_deform_tuple(rows->vals[i], rows->tupdesc, values, nulls);
            values[0] = Int64GetDatum(static_cast<int64>(position));
            runs->by_project[position] = heap_form_tuple(runs->desc, values, nulls);
        }
    });
}

}  // namespace project_runs::pg
