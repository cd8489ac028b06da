"""One endpoint per case action: POST /api/cases/<id>/actions/<action>/.

Each class names its action; its input serializer, schema and rules come from the action's
row of cases.transitions (CaseActionApi.__init_subclass__), and cases.services applies it
(role, scope, request ids, every rule). The answer is the case as the user sees it afterwards.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.cases import case_answer
from cases.api.permissions import PERMISSIONS
from cases.api.serializers import CaseDetailSerializer, action_input_serializer
from cases.services import case_transition
from cases.transitions import TRANSITIONS, Transition
from config.api import error_responses


class CaseActionApi(APIView):
    """Apply the action `action` through cases.services.case_transition."""

    body_max_setting = "CASE_UPLOAD_MAX_BYTES"  # handle takes photos (config.limits)

    permission_classes = PERMISSIONS
    action: str
    transition: Transition
    InputSerializer: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.transition = transition = TRANSITIONS[cls.action]
        cls.InputSerializer = action_input_serializer(transition, cls.__name__)
        description = format_lazy(
            "From: {}. Roles: {}.{} Answers the case as it is afterwards. A case you may not see "
            "answers 404 whatever its state.",
            ", ".join(sorted(transition.sources)),
            ", ".join(sorted(transition.roles)),
            " A note is required." if transition.needs_note else "",
        )

        def post(self, request: Request, case_id: int) -> Response:  # each class its own, for its own schema
            return self.apply(request, case_id)

        cls.post = extend_schema(
            operation_id=f"cases_{transition.action}",
            summary=transition.label,
            description=description,
            tags=["case actions"],
            request=cls.InputSerializer,
            responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)},
        )(post)

    def apply(self, request: Request, case_id: int) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        case_transition(case_id=case_id, action=self.action, actor=request.user, **params.validated_data)
        return Response(case_answer(case_id=case_id, user=request.user))


class CaseVerifyApi(CaseActionApi):
    """verify: 核实."""

    action = "verify"


class CaseFileApi(CaseActionApi):
    """file: 立案."""

    action = "file"


class CaseRejectApi(CaseActionApi):
    """reject: 不予受理."""

    action = "reject"


class CaseDispatchApi(CaseActionApi):
    """dispatch: 派遣."""

    action = "dispatch"


class CaseApproveApi(CaseActionApi):
    """approve: 网格长批准派遣."""

    action = "approve"


class CaseRefuseApi(CaseActionApi):
    """refuse: 网格长退回派遣."""

    action = "refuse"


class CaseCancelApi(CaseActionApi):
    """cancel: 作废."""

    action = "cancel"


class CaseHandleApi(CaseActionApi):
    """handle: 处置反馈."""

    action = "handle"


class CaseSendBackApi(CaseActionApi):
    """send_back: 退单."""

    action = "send_back"


class CaseRequestExtensionApi(CaseActionApi):
    """request_extension: 申请延期."""

    action = "request_extension"


class CaseApproveExtensionApi(CaseActionApi):
    """approve_extension: 批准延期."""

    action = "approve_extension"


class CaseRefuseExtensionApi(CaseActionApi):
    """refuse_extension: 不批准延期."""

    action = "refuse_extension"


class CaseRequestSuspensionApi(CaseActionApi):
    """request_suspension: 申请挂账."""

    action = "request_suspension"


class CaseRefuseSuspensionApi(CaseActionApi):
    """refuse_suspension: 不批准挂账."""

    action = "refuse_suspension"


class CaseSuspendApi(CaseActionApi):
    """suspend: 挂账."""

    action = "suspend"


class CaseResumeApi(CaseActionApi):
    """resume: 恢复处置."""

    action = "resume"


class CaseSendToCheckApi(CaseActionApi):
    """send_to_check: 派核查."""

    action = "send_to_check"


class CaseCheckPassApi(CaseActionApi):
    """check_pass: 核查通过."""

    action = "check_pass"


class CaseCheckFailApi(CaseActionApi):
    """check_fail: 核查不通过（返工）."""

    action = "check_fail"


class CaseCloseApi(CaseActionApi):
    """close: 结案."""

    action = "close"


class CaseMergeApi(CaseActionApi):
    """merge: 合并重复案件."""

    action = "merge"


class CaseSuperviseApi(CaseActionApi):
    """supervise: 督办."""

    action = "supervise"


class CaseRemindApi(CaseActionApi):
    """remind: 催办."""

    action = "remind"


class CaseAnswerSupervisionApi(CaseActionApi):
    """answer_supervision: 督办回复."""

    action = "answer_supervision"


class CaseSignOffApi(CaseActionApi):
    """sign_off: 督办销号."""

    action = "sign_off"


class CaseCallbackApi(CaseActionApi):
    """callback: 回访 (satisfaction, solved, contacted)."""

    action = "callback"


class CaseReopenApi(CaseActionApi):
    """reopen: 重办."""

    action = "reopen"


class CaseConfirmFixApi(CaseActionApi):
    """confirm_fix: the 三长 named responsible confirms the fix in front of their place."""

    action = "confirm_fix"


class CaseEscalateApi(CaseActionApi):
    """escalate: 上报 to the center above (镇街 → 区)."""

    action = "escalate"


class CaseAssignDownApi(CaseActionApi):
    """assign_down: 交办 to the town center of the case's location."""

    action = "assign_down"


class CaseTakeOverApi(CaseActionApi):
    """take_over: 接管, the district's center takes a case from a town's."""

    action = "take_over"


ACTION_VIEWS: dict[str, type[CaseActionApi]] = {view.action: view for view in CaseActionApi.__subclasses__()}


@extend_schema(exclude=True)
class CaseUnknownActionApi(APIView):
    """Any other /api/cases/<id>/actions/<name>/: 404 in the API's error format."""

    permission_classes = PERMISSIONS

    def post(self, request: Request, case_id: int, action: str) -> Response:
        raise exceptions.NotFound(_("There is no action “%(action)s”.") % {"action": action})

    get = put = patch = delete = post
