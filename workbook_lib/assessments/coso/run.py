"""Running the COSO assessment from parameters: load and check the questionnaire and responses, then assess."""

from __future__ import annotations

from workbook_lib.assessments.coso.inputs import CosoParams, Responses, load_responses, validate_responses
from workbook_lib.assessments.coso.model import LoadedQuestionnaire, load_questionnaire
from workbook_lib.assessments.coso.records import RESPONSE
from workbook_lib.assessments.coso.scoring import CosoResult, assess
from workbook_lib.assessments.maturity.run import maturity_of
from workbook_lib.core.records import table_for
from workbook_lib.core.source import source_of
from workbook_lib.core.tables import Table


def load_coso_inputs(params: CosoParams, responses_table: Table | None = None
                     ) -> tuple[LoadedQuestionnaire, Responses | None]:
    """Load and check the questionnaire and responses the parameters name; scores nothing.

    Raises QuestionnaireError or InputError, so ``workbook run`` can fail fast.
    """
    loaded = load_questionnaire(params.questionnaire_ref())
    if responses_table is None and source_of(params).from_store:  # the answers saved through the form
        responses_table = table_for(params, RESPONSE)
    if responses_table is not None:
        return loaded, validate_responses(responses_table, loaded.questionnaire)
    if params.responses is None:
        return loaded, None
    return loaded, load_responses(params.resolve(params.responses), loaded.questionnaire, sheet=params.sheet)


def run_coso_assessment(params: CosoParams, responses_table: Table | None = None) -> CosoResult:
    """Load the questionnaire and responses named by the parameters (or use ``responses_table``) and assess."""
    loaded, responses = load_coso_inputs(params, responses_table)
    result = assess(loaded, responses, divergence_threshold=params.divergence_threshold,
                    maturity_status=maturity_of(params))
    result.organisation, result.period = params.organisation, params.period
    return result
