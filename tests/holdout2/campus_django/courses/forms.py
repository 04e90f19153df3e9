from django import forms

from .models import Submission


class SubmissionForm(forms.ModelForm):
    class Meta:
        model = Submission
        fields = ["answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 12})}


class GradeForm(forms.Form):
    points = forms.IntegerField(min_value=0, max_value=1000)
